/**
 * `@mtcute/web` for @mtcute/test on Node (vitest.config.ts aliases it here). The registry's @mtcute/test
 * 0.31.0 is built for the browser only: its index imports its platform from @mtcute/web, of which the
 * registry has no release of this line. Its stub client needs a platform and a crypto provider, and
 * @mtcute/node has both: the stub then runs on the same platform as the adapter it tests.
 */
export { NodePlatform as WebPlatform } from "@mtcute/node";
export { NodeCryptoProvider as WebCryptoProvider } from "@mtcute/node/utils.js";
