// The command line, read once: `writeback` serves; `writeback --help` (or -h) prints the
// settings; `writeback healthcheck` asks the local instance's /health. Everything else comes
// from the environment (config.ts).
export type Command = "serve" | "help" | "healthcheck";

export function parseCommand(argv: string[] = process.argv): Command {
  if (argv.includes("--help") || argv.includes("-h")) return "help";
  if (argv[2] === "healthcheck") return "healthcheck";
  return "serve";
}

/** This process's command. */
export const command: Command = parseCommand();
