import { defineConfig } from "vitest/config";

/**
 * Browser journeys: each file starts the real product as a child process and drives Debian's
 * Chromium. One file at a time (they are heavy and share the machine's ports), generous timeouts.
 */
export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    include: ["e2e/**/*.e2e.ts"],
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
