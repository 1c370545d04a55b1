// Build step: rewrite every `async` function of a bundle into a generator driven synchronously
// by `__wasmgate_async` (src/async.js), because the guest runs without an event loop.
//
//   async function f(a) { return await g(a); }
//     → function f() { return __wasmgate_async(function* (a) { return (yield g(a)); }, this, arguments); }
//   async (a) => a
//     → (...__wasmgate_args) => __wasmgate_async(function* (a) { return (a); }, this, __wasmgate_args)
//
// Parameters move into the generator so that `var` redeclarations and default values behave as
// before; `this` and `arguments` are passed through. What a generator cannot express is refused
// with the source position: `super` or `new.target` inside an async function, `arguments`
// inside an async arrow, `for await`, and async generators.

import { parseSync } from "rolldown/utils";

const DRIVER = "__wasmgate_async";
const ARGS = "__wasmgate_args";

/** The rewritten source; throws an Error naming `file:line:column` for unsupported code. */
export function lowerAsync(source, file = "bundle.js") {
  const { program, errors } = parseSync(file, source, { sourceType: "module" });
  if (errors.length > 0) {
    throw new Error(`${file}: cannot parse: ${errors[0].message}`);
  }
  const sites = [];
  const fail = (node, message) => {
    const before = source.slice(0, node.start).split("\n");
    const where = `${file}:${before.length}:${before[before.length - 1].length + 1}`;
    throw new Error(`${where}: ${message} (wasmgate runs async functions synchronously)`);
  };

  // `functions` is the stack of enclosing functions, innermost last.
  const visit = (node, parent, functions) => {
    if (node === null || typeof node !== "object" || typeof node.type !== "string") return;
    const innermost = functions[functions.length - 1];
    // The closest non-arrow function: the one `this`, `arguments`, `super` refer to.
    const scope = functions.findLast((f) => f.type !== "ArrowFunctionExpression");
    // Whether an async arrow lies between `node` and `scope`: it becomes a generator,
    // which rebinds `arguments` and cannot use `super` or `new.target`.
    const crossesAsyncArrow = functions.slice(functions.indexOf(scope) + 1).some((f) => f.async);
    switch (node.type) {
      case "FunctionDeclaration":
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        if (node.async) {
          if (node.generator) fail(node, "async generators are not supported");
          sites.push(asyncFunction(node, parent, source));
        }
        for (const child of [...node.params, node.body]) visit(child, node, [...functions, node]);
        return;
      case "AwaitExpression":
        if (innermost?.async) {
          sites.push({
            start: node.start,
            end: node.end,
            render: (emit) => `(yield ${emit(node.argument.start, node.argument.end)})`,
          });
        }
        break;
      case "ForOfStatement":
        if (node.await && innermost?.async) fail(node, "`for await` is not supported");
        break;
      case "Super":
        if (scope?.async || crossesAsyncArrow) {
          fail(node, "`super` inside an async function is not supported");
        }
        break;
      case "MetaProperty":
        if ((scope?.async || crossesAsyncArrow) && node.meta.name === "new") {
          fail(node, "`new.target` inside an async function is not supported");
        }
        break;
      case "Identifier":
        if (node.name === "arguments" && crossesAsyncArrow && isReference(node, parent)) {
          fail(node, "`arguments` inside an async arrow function is not supported");
        }
        break;
      case "Property":
      case "MethodDefinition":
        if (isMethod(node) && node.value.async) {
          // `async` sits before the key; the function node starts at its parameters.
          const head = source.slice(node.start, node.key.start);
          const match = /\basync\b/.exec(head);
          if (match === null) fail(node, "cannot find the `async` keyword of this method");
          const at = node.start + match.index;
          sites.push({ start: at, end: at + "async".length, render: () => "" });
        }
        break;
    }
    for (const key of Object.keys(node)) {
      if (key === "type" || key === "start" || key === "end") continue;
      const child = node[key];
      if (Array.isArray(child)) for (const item of child) visit(item, node, functions);
      else visit(child, node, functions);
    }
  };
  visit(program, null, []);

  sites.sort((a, b) => a.start - b.start || b.end - a.end);
  const emit = (start, end) => {
    let out = "";
    let at = start;
    for (const site of sites) {
      if (site.start < at || site.end > end) continue;
      if (site.start >= end) break;
      out += source.slice(at, site.start) + site.render(emit);
      at = site.end;
    }
    return out + source.slice(at, end);
  };
  return emit(0, source.length);
}

function asyncFunction(node, parent, source) {
  const params = (emit) =>
    node.params.length === 0
      ? ""
      : emit(node.params[0].start, node.params[node.params.length - 1].end);
  const block = (emit) =>
    node.body.type === "BlockStatement"
      ? emit(node.body.start, node.body.end)
      : `{ return (${emit(node.body.start, node.body.end)}); }`;

  if (node.type === "ArrowFunctionExpression") {
    return {
      start: node.start,
      end: node.end,
      render: (emit) =>
        `(...${ARGS}) => ${DRIVER}(function* (${params(emit)}) ${block(emit)}, this, ${ARGS})`,
    };
  }
  if (parent !== null && isMethod(parent) && parent.value === node) {
    // The node is `(params) { body }`; the key and `async` belong to the parent.
    return {
      start: node.start,
      end: node.end,
      render: (emit) =>
        `() { return ${DRIVER}(function* (${params(emit)}) ${block(emit)}, this, arguments); }`,
    };
  }
  // `async function name(params) { body }`, as a declaration or an expression.
  const name = node.id ? ` ${node.id.name}` : "";
  if (!/^async\s+function\b/.test(source.slice(node.start, node.end))) {
    throw new Error(`unexpected async function syntax at offset ${node.start}`);
  }
  return {
    start: node.start,
    end: node.end,
    render: (emit) =>
      `function${name}() { return ${DRIVER}(function* (${params(emit)}) ${block(emit)}, this, arguments); }`,
  };
}

/** Whether identifier `node` is a variable reference (not a property name or a key). */
function isReference(node, parent) {
  if (parent === null) return true;
  if (parent.type === "MemberExpression" && parent.property === node && !parent.computed) return false;
  if ((parent.type === "Property" || parent.type === "MethodDefinition") && parent.key === node && !parent.computed) {
    return parent.type === "Property" && parent.shorthand;
  }
  return true;
}

/** Whether `node` is a method of an object literal or a class (its value starts at `(`). */
function isMethod(node) {
  return (
    (node.type === "MethodDefinition" || (node.type === "Property" && node.method)) &&
    node.value?.type === "FunctionExpression"
  );
}
