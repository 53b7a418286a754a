/** Error text for the page (kept free of DOM code so workers can use it). */

/** A readable message for anything thrown (sepconv's typed errors carry the explanation in `message`). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
