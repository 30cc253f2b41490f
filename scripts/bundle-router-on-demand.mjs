// find-my-way (Fastify's router) compiles code with `new Function` as routes are added: code V8
// cannot keep in the CommonJS bundle's code cache (bin/code-cache.cjs), compiled at every start
// of the gateway for routes most starts never serve. These rolldown transforms of its sources
// (scripts/bundle-cli.mjs) compile each piece at its first use instead, then use it as before.
// Should a source change, the build fails rather than bundle it unchanged.

/**
 * find-my-way (Fastify's router) compiles a matcher of each static node's prefix with `new
 * Function` as it makes the node: 63 for the gateway's routes and their HEAD twins, code V8
 * cannot cache, ~2 ms of every start. Each is compiled instead at the first lookup that reaches
 * its node (Fastify's own, while adding routes, reach 10), then used as before: a request pays
 * once for the few nodes on its path (microseconds), and routes no request asks for compile
 * nothing. Should the source change, the build fails.
 */
export const ROUTER_PREFIX_ON_DEMAND = {
  name: 'oxydra:router-prefix-on-demand',
  transform(code, id) {
    if (!id.replaceAll('\\', '/').endsWith('/node_modules/find-my-way/lib/node.js')) return null;
    const start = '  const lines = []\n';
    const head = code.indexOf('function compilePrefixMatch (prefix) {\n');
    const from = code.indexOf(start, head);
    const last = code.indexOf("  return new Function('path', 'i', ", from);
    const to = code.indexOf('\n', last) + 1;
    // The function's last lines, as one block of compilePrefixMatch (no function ends between).
    if (head < 0 || from < 0 || last < 0 || code.slice(head, to).includes('\n}\n'))
      throw new Error(
        `${id}: no longer compiles prefix matchers as bundle-router-on-demand.mjs expects; update ROUTER_PREFIX_ON_DEMAND`,
      );
    const compile = code
      .slice(from, to)
      .split('\n')
      .map((line) => (line ? `  ${line}\n` : ''))
      .join('');
    return {
      code: `${code.slice(0, from)}  let compiled\n  const compile = () => {\n${compile}  }\n  return function matchPrefixOnDemand (path, i) {\n    return (compiled ??= compile())(path, i)\n  }\n${code.slice(to)}`,
      map: null,
    };
  },
};

/**
 * Each route's handler entry (lib/handler-storage.js) comes with two compiled functions: one
 * making the request's params object (`_createParamsObject`), and its node's matcher of
 * constraints (`_getHandlerMatchingConstraints`, recompiled as each handler is added): 250 `new
 * Function` compiles for the gateway's 125 routes and HEAD twins. Each is compiled instead at its
 * first call, from the same state (the matcher from the node's handlers as they are then; adding
 * one sets it back to compile again), and then replaces itself: a request pays once per route
 * it reaches, and later ones call the compiled function as before.
 */
export const ROUTER_HANDLERS_ON_DEMAND = {
  name: 'oxydra:router-handlers-on-demand',
  transform(code, id) {
    if (!id.replaceAll('\\', '/').endsWith('/node_modules/find-my-way/lib/handler-storage.js')) return null;
    const params = '      _createParamsObject: this._compileCreateParamsObject(params)\n';
    const matcher =
      '    if (!isMergedTree) {\n      this._compileGetHandlerMatchingConstraints(constrainer, constraints)\n    }\n';
    const reads = code.match(/this\._getHandlerMatchingConstraints\b/g) ?? [];
    // The matcher is read only by getMatchingHandler and set only by its compiler.
    if (
      !code.includes(params) ||
      !code.includes(matcher) ||
      !code.includes('const handlerObject = {') ||
      reads.length !== 2
    )
      throw new Error(
        `${id}: no longer compiles its handlers as bundle-router-on-demand.mjs expects; update ROUTER_HANDLERS_ON_DEMAND`,
      );
    return {
      code: code
        .replace(
          params,
          '      _createParamsObject: (p0, p1, p2, p3, extra) =>\n        (handlerObject._createParamsObject = this._compileCreateParamsObject(params))(p0, p1, p2, p3, extra)\n',
        )
        .replace(
          matcher,
          '    if (!isMergedTree) {\n      this._getHandlerMatchingConstraints = (derivedConstraints) => {\n        this._compileGetHandlerMatchingConstraints(constrainer, constraints)\n        return this._getHandlerMatchingConstraints(derivedConstraints)\n      }\n    }\n',
        ),
      map: null,
    };
  },
};
