/** Names of the kernel's own tools, in a file of their own so the modules that check them need not import each other. */
export const DELEGATE_TOOL = 'delegate_to_agent';
export const A2A_DELEGATE_TOOL = 'a2a_delegate';
