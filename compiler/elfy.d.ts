declare module "elfy" {
  export function parse(buffer: Buffer): { body: { sections: { name: string; type: string; data: Buffer }[] } };
  const elfy: { parse: typeof parse };
  export default elfy;
}
