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
