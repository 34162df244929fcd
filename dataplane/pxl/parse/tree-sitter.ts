// Loads tree-sitter and its Python grammar (WASM) once per process and lends the parser out.
import { createRequire } from 'node:module';
import { Language, Parser, type Node } from 'web-tree-sitter';

let loading: Promise<void> | undefined;
let parser: Parser | undefined;

/** Loads the runtime and the grammar. Safe to call many times; later calls share the first load. */
export function initTreeSitter(): Promise<void> {
  loading ??= (async () => {
    await Parser.init();
    const grammar = createRequire(import.meta.url).resolve('tree-sitter-python/tree-sitter-python.wasm');
    const language = await Language.load(grammar);
    const p = new Parser();
    p.setLanguage(language);
    parser = p;
  })().catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

export function treeSitterReady(): boolean {
  return parser !== undefined;
}

/** Parses `source` and hands the root to `use`; the tree is freed afterwards. */
export function withSyntaxTree<T>(source: string, use: (root: Node) => T): T {
  if (!parser) throw new Error('the PxL parser is not initialised: await initPxl() first');
  const tree = parser.parse(source);
  if (!tree) throw new Error('tree-sitter returned no tree');
  try {
    return use(tree.rootNode);
  } finally {
    tree.delete();
  }
}
