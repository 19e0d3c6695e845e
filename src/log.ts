import pino, { type DestinationStream, type Logger } from "pino";
import { redactSecrets } from "./redact.ts";

/**
 * pino JSON logs on stdout, level from LOG_LEVEL. Secrets are kept out twice: known secret
 * fields are censored by path, and every string (message, error text, stack) is passed through
 * redactSecrets, which catches tokens inside URLs and error messages.
 */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? "info",
      base: { service: "secretary-watch" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ["token", "*.token", "botToken", "*.botToken", "adminToken", "secretKey", "password", "*.password", "req.headers.authorization"],
        censor: "****",
      },
      serializers: {
        err: (err: Error) => ({ type: err.name, message: redactSecrets(err.message), stack: err.stack ? redactSecrets(err.stack) : undefined }),
      },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === "string" ? redactSecrets(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    options.destination,
  );
}
