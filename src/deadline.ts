// One deadline for any call: the call's promise, or `error()` after `ms`, whichever comes first.
// The call itself is not cancelled; each caller says what a missed deadline means (a database
// connection gone silent, a Redis command unanswered).
export async function deadline<T>(work: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
