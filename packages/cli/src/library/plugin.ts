/** `oxydra/plugin` in the published package: definePlugin and the plugin types. */
export * from '@oxydra/plugin';
