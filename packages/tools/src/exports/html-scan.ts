/**
 * `@oxydra/tools/html-scan`: the linear HTML tokenizer the web tools read pages with, for other
 * readers of hostile HTML (the email channel's HTML-only mail). Apart from the package's index,
 * as htmlparser2 itself loads only with the first scan.
 */
export { type HtmlHandler, type ScanOptions, scanHtmlAsync } from '../web/html-scan.js';
