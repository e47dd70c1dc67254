// Child process of test/bench/lambda.bench.ts: imports the bundled Lambda entry, sends it
// REQUESTS mixed API Gateway HTTP API (v2) events against DynamoDB Local, and prints its peak RSS.
const { BUNDLE_URL, TOKEN, REQUESTS } = process.env;
const { handler } = await import(BUNDLE_URL);
const total = Number(REQUESTS);

function event(method, path, { query = "", body, token = TOKEN } = {}) {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: query,
    headers: {
      host: "api.example.com",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
    },
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: "api.example.com",
      domainPrefix: "api",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "198.51.100.7", userAgent: "bench" },
      requestId: `r${Math.random()}`,
      routeKey: "$default",
      stage: "$default",
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    body: body ? JSON.stringify(body) : undefined,
    isBase64Encoded: false,
  };
}

const context = { functionName: "bench", awsRequestId: "bench" };
const statuses = new Map();
// Live host ids; the mix creates, reads, changes and deletes, keeping about 50 hosts.
const live = [];
let created = 0;
const some = (i) => live[i % live.length];
for (let i = 0; i < total; i++) {
  let request;
  const step = live.length === 0 ? 0 : i % 10;
  switch (step) {
    case 0:
      created++;
      request = event("POST", "/api/nginx/proxy-hosts", {
        body: { domain_names: [`h${created}.bench.example.com`], forward_host: "10.0.0.5", forward_port: 3000 },
      });
      break;
    case 1:
      request = event("PUT", `/api/nginx/proxy-hosts/${some(i)}`, { body: { forward_port: 3000 + (i % 1000) } });
      break;
    case 2:
      request = event("GET", `/api/nginx/proxy-hosts/${some(i)}`);
      break;
    case 3:
      request = event("GET", "/api/nginx/proxy-hosts");
      break;
    case 4:
      request = event("GET", "/api/security/waf");
      break;
    case 5:
      request = event("GET", "/api/v1/settings");
      break;
    case 6:
      request = event("GET", "/api/security/crowdsec/decisions", { query: "ip=192.0.2.1" });
      break;
    case 7:
      request = event("GET", "/api/nginx/certificates");
      break;
    case 8:
      request = live.length > 50 ? event("DELETE", `/api/nginx/proxy-hosts/${live.shift()}`) : event("GET", "/api/v1/tokens");
      break;
    default:
      request = event("GET", "/api/health", { token: null });
  }
  const result = await handler(request, context);
  if (step === 0 && result.statusCode === 201) live.push(JSON.parse(result.body).id);
  statuses.set(result.statusCode, (statuses.get(result.statusCode) ?? 0) + 1);
}
process.stdout.write(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, statuses: Object.fromEntries(statuses), heapUsedAtEnd: process.memoryUsage().heapUsed }));
