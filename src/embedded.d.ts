// Bun's text imports (`with { type: "text" }`) embed .sql and .lua files in the binary.
declare module "*.sql" {
  const text: string;
  export default text;
}
declare module "*.lua" {
  const text: string;
  export default text;
}
