import { describe, expect, it } from "vitest";
import { startDynamoDbLocal, startProcess } from "@charon/local";

describe("starting an emulator", () => {
  it("says what to install when the program is missing", async () => {
    await expect(
      startProcess({
        name: "Imaginary",
        command: "charon-no-such-program",
        args: [],
        missingMessage: "Imaginary is needed: apt-get install imaginary",
        ready: async () => true,
      }),
    ).rejects.toThrow("Imaginary is needed: apt-get install imaginary");
  });

  it("reports the program's own output when it exits before it is ready", async () => {
    await expect(
      startProcess({
        name: "Failing",
        command: process.execPath,
        args: ["-e", "console.error('port already in use'); process.exit(3)"],
        missingMessage: "unused",
        ready: async () => false,
      }),
    ).rejects.toThrow(/Failing exited \(3\) before it was ready:\nport already in use/);
  });

  it("tells a person without Java how to get DynamoDB Local running", async () => {
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      await expect(startDynamoDbLocal()).rejects.toThrow(/Java 17 or newer.*apt-get install openjdk-17-jre-headless/s);
    } finally {
      process.env.PATH = path;
    }
  });
});
