// The app runs with Tauri's `freezePrototype`: Object.prototype is frozen, so in strict code
// `obj.toString = f` throws when `obj` has no own `toString` ("Attempted to assign to
// readonly property": the inherited one is read-only). Libraries that mermaid loads do
// this (dayjs, d3-color, d3-format, elkjs, @mermaid-js/parser). This esbuild plugin rewrites
// such assignments in dependencies to first give the object an own, writable property
// (`globalThis.__palaverOwn`, defined in diagrams.js), which is what the assignment would
// have done with the prototype unfrozen. Packages the first-paint bundle uses are left as
// they are: they work frozen.

/** Packages that already work with a frozen Object.prototype and are not touched. */
const UNTOUCHED = /[\\/]node_modules[\\/](katex|dompurify|marked|highlight\.js|@tauri-apps)[\\/]/;
const ASSIGN_INHERITED = /(?<![\w$.])([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\.(valueOf|toString|toLocaleString|toJSON|constructor|hasOwnProperty|isPrototypeOf|propertyIsEnumerable)\s*=(?![=>])/g;

/** @returns {import('esbuild').Plugin} */
export function ownPropertyAssignments() {
  return {
    name: 'own-property-assignments',
    setup(build) {
      build.onLoad({ filter: /[\\/]node_modules[\\/].*\.(m?js|cjs)$/ }, async ({ path }) => {
        if (UNTOUCHED.test(path)) return undefined;
        const { readFile } = await import('node:fs/promises');
        const source = await readFile(path, 'utf8');
        ASSIGN_INHERITED.lastIndex = 0;
        if (!ASSIGN_INHERITED.test(source)) return undefined;
        return { contents: source.replace(ASSIGN_INHERITED, '$1[__palaverOwn($1,"$2")]='), loader: 'js' };
      });
    },
  };
}
