import { inject } from "vitest";

// Every test process talks to the run's emulators through the SDK's standard variables, with
// throw-away credentials: nothing here can reach a real AWS account.
process.env.AWS_ENDPOINT_URL_DYNAMODB = inject("dynamodbEndpoint");
process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = inject("motoEndpoint");
process.env.AWS_ENDPOINT_URL_ROUTE_53 = inject("motoEndpoint");
process.env.AWS_ENDPOINT_URL_SQS = inject("motoEndpoint");
process.env.AWS_ENDPOINT_URL_KMS = inject("motoEndpoint");
process.env.AWS_REGION = "us-east-1";
process.env.AWS_ACCESS_KEY_ID = "test";
process.env.AWS_SECRET_ACCESS_KEY = "test";
// The emulators, fakes and PowerDNS listen on loopback: servers the tests start may call them.
process.env.CHARON_OUTBOUND_ALLOW = "loopback";
