/** `true` when A and B are the same type, else `false`: a schema checked against its protocol type, in either direction. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
