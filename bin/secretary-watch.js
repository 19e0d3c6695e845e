#!/usr/bin/env node
// The package's command. The sources are TypeScript run directly by Node 24's type stripping.
import { run } from "../src/cli/main.ts";

process.exitCode = await run(process.argv.slice(2));
