// A condition no retry can fix: a setting or a state of Redis or the database that this
// process must not work with. Whoever meets one stops the process (exit 2) with its message.
export class FatalError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
