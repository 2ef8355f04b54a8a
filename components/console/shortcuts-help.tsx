"use client";

import { useEffect, useState } from "react";
import { isTypingOrModified } from "./format";

/** The `?` overlay listing a page's keyboard shortcuts; Escape or `?` closes it. */
export function ShortcutsHelp({ shortcuts }: { shortcuts: Array<{ key: string; action: string }> }) {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (isTypingOrModified(event)) return;
      if (event.key === "?") setOpen((o) => !o);
      else if (event.key === "Escape") setOpen(false);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  return (
    <>
      <button type="button" className="link" onClick={() => setOpen(true)} aria-keyshortcuts="?">
        Shortcuts (?)
      </button>
      {open ? (
        <div className="overlay" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" onClick={() => setOpen(false)}>
          <div className="panel" onClick={(e) => e.stopPropagation()}>
            <h2>Keyboard shortcuts</h2>
            <table>
              <tbody>
                {shortcuts.map((s) => (
                  <tr key={s.key}>
                    <td>
                      <kbd>{s.key}</kbd>
                    </td>
                    <td>{s.action}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <button type="button" onClick={() => setOpen(false)}>
              Close (Esc)
            </button>
          </div>
        </div>
      ) : null}
    </>
  );
}
