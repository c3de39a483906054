// The entry of minato_lite/site/web/vendor/editor.js: a small CodeMirror 6 editor for the
// report's live cells. build.sh bundles this file with esbuild; the page imports only
// `createEditor`. Kept deliberately lean: no search panel, no autocompletion, no folding,
// no lint, no auto-closing brackets, no drawn selections or rectangular selection (the
// browser's own caret and selection). What is in: Python highlighting and indentation,
// undo history, bracket matching, CodeMirror's default keymap, Tab to indent.
//
// Styles and the Content-Security-Policy. CodeMirror writes its CSS at run time through
// style-mod: into one constructed CSSStyleSheet adopted by the shadow root when the editor
// lives in one (the default here: constructed sheets are not subject to `style-src`, so the
// editor works under `style-src 'self'`), or else into one <style> element in <head>, which a
// `style-src` without 'unsafe-inline' blocks unless it carries the page's nonce (`shadow:
// false` with the `nonce` option). Its element `.style` writes (CSSOM) are never blocked.

import { EditorState, Prec } from "@codemirror/state";
import {
  EditorView,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers as lineNumbersGutter,
  placeholder as placeholderText,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  bracketMatching,
  defaultHighlightStyle,
  indentOnInput,
  indentUnit,
  LanguageSupport,
  syntaxHighlighting,
} from "@codemirror/language";
// `pythonLanguage`, not `python()`: python() adds completion sources, inert without the
// autocompletion extension, that would pull @codemirror/autocomplete into the bundle
import { pythonLanguage } from "@codemirror/lang-python";

// A light theme for a plain report. Colours and fonts read CSS custom properties first: the
// page's stylesheets do not reach into the shadow root, but custom properties inherit into it.
const reportTheme = EditorView.theme({
  "&": {
    color: "var(--mlr-editor-fg, #1f2328)",
    backgroundColor: "var(--mlr-editor-bg, #f6f8fa)",
    border: "1px solid var(--mlr-editor-border, #d0d7de)",
    borderRadius: "4px",
    fontSize: "var(--mlr-editor-font-size, 0.875rem)",
  },
  "&.cm-focused": {
    outline: "2px solid var(--mlr-editor-focus, #0969da)",
    outlineOffset: "1px",
  },
  ".cm-scroller": {
    fontFamily:
      "var(--mlr-editor-font, ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace)",
    lineHeight: "1.45",
  },
  ".cm-content": { padding: "6px 0", caretColor: "var(--mlr-editor-caret, #1f2328)" },
  ".cm-line": { padding: "0 8px" },
  ".cm-gutters": {
    backgroundColor: "transparent",
    color: "var(--mlr-editor-gutter, #6e7781)",
    border: "none",
  },
  ".cm-activeLineGutter": { backgroundColor: "transparent", color: "#1f2328" },
  "&.cm-focused .cm-matchingBracket": { backgroundColor: "#c8e1ff", outline: "none" },
  "&.cm-focused .cm-nonmatchingBracket": { backgroundColor: "#ffd8d3", outline: "none" },
  ".cm-placeholder": { color: "#6e7781" },
});

/**
 * Create a Python editor in `parent`.
 *
 * @param {object} options
 * @param {HTMLElement} options.parent  the element the editor is appended to
 * @param {string} [options.doc]  the initial text
 * @param {string} [options.label]  the accessible name: aria-label of the editable element
 * @param {() => void} [options.onRun]  Shift+Enter and Mod+Enter (Ctrl, or Cmd on macOS)
 * @param {(text: string) => void} [options.onChange]  after every change of the text
 * @param {boolean} [options.lineNumbers=false]
 * @param {boolean} [options.readOnly=false]
 * @param {string} [options.placeholder]
 * @param {boolean} [options.shadow=true]  put the editor in the open shadow root of a new
 *   `<div class="mlr-editor-host">` appended to `parent`: no <style> element at all, so it
 *   works under `style-src 'self'`. With `false` it goes straight into `parent`, and its
 *   <style> element needs 'unsafe-inline' or the `nonce`
 * @param {string} [options.nonce]  the page's CSP nonce, for that <style> element
 * @returns {{view: EditorView, getDoc: () => string, setDoc: (text: string) => void,
 *   focus: () => void, destroy: () => void}}
 */
export function createEditor({
  parent,
  doc = "",
  label = "Code",
  onRun,
  onChange,
  lineNumbers = false,
  readOnly = false,
  placeholder,
  nonce,
  shadow = true,
} = {}) {
  if (!parent) throw new TypeError("createEditor: `parent` is required");
  const run = () => {
    if (!onRun) return false; // no runner: the keys keep their usual meaning
    onRun();
    return true;
  };
  const extensions = [
    // ahead of every other keymap: Shift+Enter must not insert a newline
    Prec.highest(
      keymap.of([
        { key: "Shift-Enter", run, preventDefault: true },
        { key: "Mod-Enter", run, preventDefault: true },
      ]),
    ),
    highlightSpecialChars(),
    history(),
    indentOnInput(),
    bracketMatching(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    indentUnit.of("    "),
    EditorState.tabSize.of(4),
    // Tab indents, Shift+Tab dedents. The way out for keyboard users is CodeMirror's own:
    // Escape then Tab (within 2 s) moves focus on; Ctrl+M (Shift+Alt+M on macOS) toggles
    // "Tab moves focus" for good.
    keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
    new LanguageSupport(pythonLanguage),
    reportTheme,
    EditorView.contentAttributes.of({ "aria-label": label }),
  ];
  if (lineNumbers) extensions.push(lineNumbersGutter(), highlightActiveLineGutter());
  if (readOnly) extensions.push(EditorState.readOnly.of(true));
  if (placeholder) extensions.push(placeholderText(placeholder));
  if (nonce) extensions.push(EditorView.cspNonce.of(nonce));
  if (onChange) {
    extensions.push(
      EditorView.updateListener.of((update) => {
        if (update.docChanged) onChange(update.state.doc.toString());
      }),
    );
  }

  let host = null;
  let root;
  if (shadow) {
    host = parent.ownerDocument.createElement("div");
    host.className = "mlr-editor-host";
    parent.appendChild(host);
    root = host.attachShadow({ mode: "open" });
  }
  const view = new EditorView({
    parent: root || parent,
    root,
    state: EditorState.create({ doc, extensions }),
  });

  return {
    view,
    getDoc: () => view.state.doc.toString(),
    setDoc(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: String(text) } });
    },
    focus: () => view.focus(),
    destroy() {
      view.destroy();
      if (host) host.remove();
    },
  };
}
