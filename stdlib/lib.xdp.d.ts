// The whole global library of the .xdp.ts world. Programs are checked with `noLib`, so
// the compiler and the editor see only these declarations: no DOM, no ES runtime, nothing
// that could not exist inside the kernel. TypeScript itself requires the eight interfaces
// below to exist; they are deliberately empty.
interface Array<T> { readonly length: number; [n: number]: T }
interface Boolean {}
interface Function {}
interface IArguments {}
interface Number {}
interface Object {}
interface RegExp {}
interface String {}
interface CallableFunction {}
interface NewableFunction {}
interface BigInt {}
interface Symbol {}
interface SymbolConstructor { readonly iterator: unique symbol }
declare var Symbol: SymbolConstructor;
// TypeScript's utility types, as lib.es5.d.ts declares them: the stdlib's own signatures use
// Readonly and NonNullable, and programs may use the rest (they are types only, no runtime).
type Readonly<T> = { readonly [P in keyof T]: T[P] };
type Partial<T> = { [P in keyof T]?: T[P] };
type Required<T> = { [P in keyof T]-?: T[P] };
type Pick<T, K extends keyof T> = { [P in K]: T[P] };
type Record<K extends keyof any, T> = { [P in K]: T };
type Exclude<T, U> = T extends U ? never : T;
type Extract<T, U> = T extends U ? T : never;
type Omit<T, K extends keyof any> = { [P in Exclude<keyof T, K>]: T[P] };
type NonNullable<T> = T & {};
type Parameters<T extends (...args: any) => any> = T extends (...args: infer P) => any ? P : never;
type ReturnType<T extends (...args: any) => any> = T extends (...args: any) => infer R ? R : any;
