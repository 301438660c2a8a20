// ESLint rule `production-imports/no-dev-dependencies`: code that ships (apps/ and libs/ outside tests) may only
// import packages listed in package.json `dependencies` (or peer/optional ones). The image installs
// `npm ci --omit=dev`, so a devDependency imported at run time works in every test and fails in production with
// "Cannot find module". Type-only imports are erased by TypeScript and are allowed.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

const BUILTINS = new Set(builtinModules);

/** `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`. */
export function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function isBuiltin(specifier) {
  return specifier.startsWith('node:') || BUILTINS.has(packageName(specifier)) || BUILTINS.has(specifier);
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** tsconfig `paths` keys such as `@fedchat/common` and `@fedchat/common/*`, as prefixes of internal modules. */
function internalAliases(tsconfigFile) {
  const paths = readJson(tsconfigFile).compilerOptions?.paths ?? {};
  return Object.keys(paths).map((key) => key.replace(/\/\*$/, ''));
}

function importerOf(root) {
  const manifest = readJson(path.join(root, 'package.json'));
  const runtime = new Set(
    [manifest.dependencies, manifest.peerDependencies, manifest.optionalDependencies].flatMap((deps) => Object.keys(deps ?? {})),
  );
  const dev = new Set(Object.keys(manifest.devDependencies ?? {}));
  const aliases = internalAliases(path.join(root, 'tsconfig.json'));
  return { runtime, dev, aliases };
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'forbid importing devDependencies (or undeclared packages) from code that runs in production' },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          forbiddenAliases: { type: 'array', items: { type: 'string' } },
        },
        additionalProperties: false,
      },
    ],
    messages: {
      dev: '"{{name}}" is a devDependency but this code runs in production (npm ci --omit=dev leaves it out): move it to "dependencies", or import only types from it.',
      undeclared: '"{{name}}" is not in package.json "dependencies": add it there, so that a production install has it.',
      testOnly: '"{{name}}" is test-only code that is not built into dist/: production code must not import it.',
    },
  },
  create(context) {
    const options = context.options[0] ?? {};
    const root = options.root ?? context.cwd;
    const { runtime, dev, aliases } = importerOf(root);
    const forbiddenAliases = options.forbiddenAliases ?? [];

    function check(node, specifier) {
      if (typeof specifier !== 'string' || specifier.startsWith('.') || specifier.startsWith('/') || isBuiltin(specifier)) return;
      const alias = aliases.find((a) => specifier === a || specifier.startsWith(`${a}/`));
      if (alias !== undefined) {
        if (forbiddenAliases.includes(alias)) context.report({ node, messageId: 'testOnly', data: { name: alias } });
        return;
      }
      const name = packageName(specifier);
      if (runtime.has(name)) return;
      context.report({ node, messageId: dev.has(name) ? 'dev' : 'undeclared', data: { name } });
    }

    /** `import type ...`, or `import { type A, type B }`: TypeScript erases the whole declaration. */
    function erased(node) {
      if (node.importKind === 'type' || node.exportKind === 'type') return true;
      const specifiers = node.specifiers ?? [];
      return specifiers.length > 0 && specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type');
    }

    return {
      ImportDeclaration(node) {
        if (!erased(node)) check(node.source, node.source.value);
      },
      ExportNamedDeclaration(node) {
        if (node.source && !erased(node)) check(node.source, node.source.value);
      },
      ExportAllDeclaration(node) {
        if (node.exportKind !== 'type') check(node.source, node.source.value);
      },
      ImportExpression(node) {
        if (node.source.type === 'Literal') check(node.source, node.source.value);
      },
      TSImportEqualsDeclaration(node) {
        if (node.importKind !== 'type' && node.moduleReference.type === 'TSExternalModuleReference') {
          check(node.moduleReference.expression, node.moduleReference.expression.value);
        }
      },
      CallExpression(node) {
        const [arg] = node.arguments;
        const isRequire = node.callee.type === 'Identifier' && node.callee.name === 'require';
        const isResolve =
          node.callee.type === 'MemberExpression' &&
          node.callee.object.type === 'Identifier' &&
          node.callee.object.name === 'require' &&
          node.callee.property.type === 'Identifier' &&
          node.callee.property.name === 'resolve';
        if ((isRequire || isResolve) && arg?.type === 'Literal') check(arg, arg.value);
      },
    };
  },
};

export default { rules: { 'no-dev-dependencies': rule } };
