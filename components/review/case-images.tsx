"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import type { CSSProperties, JSX, PointerEvent as ReactPointerEvent } from "react";
import type { ImageRole } from "@/lib/verification/service";
import styles from "./review.module.css";

export interface ViewerFace {
  /** Pixel coordinates in the natural (oriented) image. */
  box: { x1: number; y1: number; x2: number; y2: number };
  score: number;
  /** Eye centres, nose tip, mouth corners as [x, y] pixels. */
  landmarks: number[][];
}

export interface ViewerImage {
  id: string;
  role: ImageRole;
  /** A signed, expiring URL. */
  url: string;
  /** Natural pixel size. */
  width: number;
  height: number;
  /** Faces found, the subject first. */
  faces: ViewerFace[];
  /** A document's detected outline: four corners clockwise from the top-left, in image pixels. */
  outline?: Array<[number, number]> | null;
  /** The caption, when the role's own name does not say enough ("Enrolled face"). */
  label?: string;
}

/** Every key the viewer handles, for the page's `?` help overlay. */
export const viewerShortcuts: ReadonlyArray<{ key: string; action: string }> = [
  { key: "Z", action: "Zoom to the faces / fit" },
  { key: "+", action: "Zoom in" },
  { key: "-", action: "Zoom out" },
  { key: "0", action: "Reset zoom and pan" },
  { key: "Arrows", action: "Pan (when an image has focus)" },
  { key: "O", action: "Show / hide face boxes" },
  { key: "T", action: "Rotate all images 90°" },
  { key: "F", action: "Full screen for the first image / leave full screen" },
  { key: "Esc", action: "Leave full screen" },
];

const ROLE_LABELS: Record<ImageRole, string> = {
  selfie: "Selfie",
  portrait: "Portrait",
  reference: "Reference",
  gallery: "Gallery",
  document: "Document",
};

const MIN_SCALE = 0.5;
const MAX_SCALE = 10;
const ZOOM_STEP = 1.25;
/** The magnification of "look at the faces" (Z), as the review brief specifies. */
const FACE_ZOOM = 2.5;
/** Zoom factor per wheel pixel: one ~100 px mouse-wheel notch zooms by about 1.22x. */
const WHEEL_ZOOM_RATE = 0.002;
/** Share of the panel moved by one arrow key press. */
const PAN_STEP = 0.1;

/**
 * The zoom and pan shared by every panel. `x` and `y` place each image's anchor (its centre,
 * or its subject face's centre when `faces` is on) relative to its panel's centre, as a share
 * of the panel's width and height, so panels of different sizes move together.
 */
interface View {
  scale: number;
  x: number;
  y: number;
  faces: boolean;
}

const FIT: View = { scale: 1, x: 0, y: 0, faces: false };

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** Zooms by `factor` keeping the point at (cx, cy) (shares of the panel, from its centre) still. */
function zoomAbout(view: View, factor: number, cx: number, cy: number): View {
  const scale = clamp(view.scale * factor, MIN_SCALE, MAX_SCALE);
  const k = scale / view.scale;
  return { ...view, scale, x: cx - k * (cx - view.x), y: cy - k * (cy - view.y) };
}

/** True when a key press belongs to a form field or editable text, not to the viewer. */
function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

function exitFullscreen(): void {
  // Rejects when the browser already left full screen (Esc); nothing to do then.
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
}

export interface CaseImagesProps {
  images: ViewerImage[];
  /**
   * Whether this viewer answers the page-wide shortcuts of `viewerShortcuts`. A page with a
   * second viewer (the possible-duplicate comparison) leaves them to the first one.
   */
  keyboard?: boolean;
  /** The toolbar's accessible name. */
  label?: string;
  /** data-testid of the viewer and of its images. */
  testIds?: { viewer: string; image: string };
}

/**
 * The images of a case side by side, with face boxes, synchronised zoom and pan, rotation
 * and full screen. Keyboard shortcuts are listed in `viewerShortcuts`.
 */
export function CaseImages({ images, keyboard = true, label = "Image viewer", testIds = { viewer: "case-images", image: "case-image" } }: CaseImagesProps): JSX.Element {
  const [view, setView] = useState<View>(FIT);
  const [showOverlay, setShowOverlay] = useState(true);
  const [rotations, setRotations] = useState<Record<string, number>>({});
  const [fullscreenIndex, setFullscreenIndex] = useState(-1);
  const [canFullscreen, setCanFullscreen] = useState(true);
  const rootRef = useRef<HTMLDivElement>(null);
  const panelRefs = useRef<Array<HTMLElement | null>>([]);

  const zoomAt = useCallback((factor: number, cx: number, cy: number) => {
    setView((v) => zoomAbout(v, factor, cx, cy));
  }, []);
  const zoomBy = useCallback((factor: number) => setView((v) => zoomAbout(v, factor, 0, 0)), []);
  const pan = useCallback((dx: number, dy: number) => {
    setView((v) => ({ ...v, x: v.x + dx, y: v.y + dy }));
  }, []);
  const resetView = useCallback(() => setView(FIT), []);
  const toggleFaces = useCallback(() => {
    setView((v) => (v.faces ? FIT : { scale: FACE_ZOOM, x: 0, y: 0, faces: true }));
  }, []);
  // Rotations accumulate (270 -> 360, not 0) so the CSS transition always turns the same way.
  const rotate = useCallback((id: string) => {
    setRotations((r) => ({ ...r, [id]: (r[id] ?? 0) + 90 }));
  }, []);
  const rotateAll = useCallback(() => {
    setRotations((r) => Object.fromEntries(images.map((image) => [image.id, (r[image.id] ?? 0) + 90])));
  }, [images]);

  const toggleFullscreen = useCallback((index: number) => {
    const panel = panelRefs.current[index];
    if (panel && document.fullscreenElement === panel) exitFullscreen();
    // Switching straight from one panel to another is allowed by the Fullscreen API.
    else panel?.requestFullscreen?.().catch(() => {});
  }, []);

  useEffect(() => {
    setCanFullscreen(document.fullscreenEnabled);
    function onChange() {
      setFullscreenIndex(panelRefs.current.findIndex((panel) => panel !== null && panel === document.fullscreenElement));
    }
    document.addEventListener("fullscreenchange", onChange);
    return () => document.removeEventListener("fullscreenchange", onChange);
  }, []);

  useEffect(() => {
    if (!keyboard) return;
    function onKeyDown(event: KeyboardEvent) {
      if (event.defaultPrevented || event.isComposing) return;
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (isTypingTarget(event.target)) return;
      // Toggles fire once per press, zoom and pan repeat while the key is held.
      const once = (action: () => void) => {
        if (!event.repeat) action();
      };
      // Arrows scroll the page unless the reviewer is working inside the viewer.
      const inViewer = rootRef.current?.contains(document.activeElement) ?? false;
      switch (event.key) {
        case "z":
        case "Z":
          once(toggleFaces);
          break;
        case "+":
        case "=":
          zoomBy(ZOOM_STEP);
          break;
        case "-":
        case "_":
          zoomBy(1 / ZOOM_STEP);
          break;
        case "0":
          resetView();
          break;
        case "o":
        case "O":
          once(() => setShowOverlay((shown) => !shown));
          break;
        case "t":
        case "T":
          once(rotateAll);
          break;
        case "f":
        case "F":
          once(() => (document.fullscreenElement ? exitFullscreen() : toggleFullscreen(0)));
          break;
        case "Escape":
          // Browsers usually leave full screen on Esc themselves; this covers those that pass it on.
          if (!document.fullscreenElement) return;
          exitFullscreen();
          break;
        case "ArrowLeft":
        case "ArrowRight":
        case "ArrowUp":
        case "ArrowDown": {
          if (!inViewer) return;
          const dx = event.key === "ArrowLeft" ? PAN_STEP : event.key === "ArrowRight" ? -PAN_STEP : 0;
          const dy = event.key === "ArrowUp" ? PAN_STEP : event.key === "ArrowDown" ? -PAN_STEP : 0;
          pan(dx, dy);
          break;
        }
        default:
          return;
      }
      event.preventDefault();
    }
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, [keyboard, toggleFaces, zoomBy, resetView, rotateAll, toggleFullscreen, pan]);

  if (images.length === 0) return <p className={styles.muted}>No images in this case.</p>;

  return (
    <div ref={rootRef} className={styles.viewer} data-testid={testIds.viewer}>
      <div className={styles.toolbar} role="toolbar" aria-label={label}>
        <button type="button" className={styles.button} onClick={() => zoomBy(1 / ZOOM_STEP)} aria-keyshortcuts={keyboard ? "-" : undefined} title={keyboard ? "Zoom out (-)" : "Zoom out"}>
          −
        </button>
        <output className={styles.zoomLevel} aria-label="Zoom">
          {Math.round(view.scale * 100)}%
        </output>
        <button type="button" className={styles.button} onClick={() => zoomBy(ZOOM_STEP)} aria-keyshortcuts={keyboard ? "+" : undefined} title={keyboard ? "Zoom in (+)" : "Zoom in"}>
          +
        </button>
        <button type="button" className={styles.button} onClick={resetView} aria-keyshortcuts={keyboard ? "0" : undefined} title={keyboard ? "Fit (0)" : "Fit"}>
          Fit
        </button>
        <button type="button" className={styles.button} onClick={toggleFaces} aria-pressed={view.faces} aria-keyshortcuts={keyboard ? "Z" : undefined} title={keyboard ? "Zoom to the faces (Z)" : "Zoom to the faces"}>
          Faces
        </button>
        <button
          type="button"
          className={styles.button}
          onClick={() => setShowOverlay((shown) => !shown)}
          aria-pressed={showOverlay}
          aria-keyshortcuts={keyboard ? "O" : undefined}
          title={keyboard ? "Face boxes (O)" : "Face boxes"}
        >
          Boxes
        </button>
        <button type="button" className={styles.button} onClick={rotateAll} aria-keyshortcuts={keyboard ? "T" : undefined} title={keyboard ? "Rotate all (T)" : "Rotate all"}>
          Rotate all
        </button>
        <span className={styles.hint}>Wheel to zoom, drag to pan</span>
      </div>
      <div className={styles.panels} style={{ "--panels": images.length } as CSSProperties}>
        {images.map((image, index) => (
          <ImagePanel
            key={image.id}
            image={image}
            index={index}
            view={view}
            rotation={rotations[image.id] ?? 0}
            showOverlay={showOverlay}
            isFullscreen={fullscreenIndex === index}
            canFullscreen={canFullscreen}
            keyboard={keyboard}
            imageTestId={testIds.image}
            panelRef={(el) => {
              panelRefs.current[index] = el;
            }}
            onRotate={rotate}
            onToggleFullscreen={toggleFullscreen}
            onZoomAt={zoomAt}
            onPan={pan}
          />
        ))}
      </div>
    </div>
  );
}

interface ImagePanelProps {
  image: ViewerImage;
  index: number;
  view: View;
  rotation: number;
  showOverlay: boolean;
  isFullscreen: boolean;
  canFullscreen: boolean;
  keyboard: boolean;
  imageTestId: string;
  panelRef: (el: HTMLElement | null) => void;
  onRotate: (id: string) => void;
  onToggleFullscreen: (index: number) => void;
  onZoomAt: (factor: number, cx: number, cy: number) => void;
  onPan: (dx: number, dy: number) => void;
}

function ImagePanel(props: ImagePanelProps) {
  const { image, index, view, rotation, showOverlay, isFullscreen, canFullscreen, onZoomAt, onPan } = props;
  const label = image.label ?? ROLE_LABELS[image.role] ?? image.role;
  const viewportRef = useRef<HTMLDivElement>(null);
  const imgRef = useRef<HTMLImageElement>(null);
  const drag = useRef<{ pointer: number; x: number; y: number; width: number; height: number } | null>(null);
  const [dragging, setDragging] = useState(false);
  // Keyed by URL so that a fresh signed URL from the page gets a fresh attempt.
  const [failedUrl, setFailedUrl] = useState<string | null>(null);
  const failed = failedUrl === image.url;

  // An image that failed before hydration fired its error event before React listened.
  useEffect(() => {
    const img = imgRef.current;
    if (img && img.complete && img.naturalWidth === 0) setFailedUrl(img.getAttribute("src"));
  }, []);

  // React's wheel listeners are passive, and zooming must stop the page from scrolling.
  useEffect(() => {
    const viewport = viewportRef.current;
    if (!viewport) return;
    function onWheel(event: WheelEvent) {
      event.preventDefault();
      const rect = viewport!.getBoundingClientRect();
      const cx = (event.clientX - rect.left) / rect.width - 0.5;
      const cy = (event.clientY - rect.top) / rect.height - 0.5;
      // deltaMode 1 counts lines and 2 pages (Firefox with a mouse wheel); bring both to pixels.
      const pixels = event.deltaY * (event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? rect.height : 1);
      onZoomAt(Math.exp(-pixels * WHEEL_ZOOM_RATE), cx, cy);
    }
    viewport.addEventListener("wheel", onWheel, { passive: false });
    return () => viewport.removeEventListener("wheel", onWheel);
  }, [onZoomAt]);

  function onPointerDown(event: ReactPointerEvent<HTMLDivElement>) {
    if (event.button !== 0) return;
    const rect = event.currentTarget.getBoundingClientRect();
    event.currentTarget.setPointerCapture(event.pointerId);
    drag.current = { pointer: event.pointerId, x: event.clientX, y: event.clientY, width: rect.width, height: rect.height };
    setDragging(true);
  }

  function onPointerMove(event: ReactPointerEvent<HTMLDivElement>) {
    const d = drag.current;
    if (!d || d.pointer !== event.pointerId) return;
    onPan((event.clientX - d.x) / d.width, (event.clientY - d.y) / d.height);
    d.x = event.clientX;
    d.y = event.clientY;
  }

  function endDrag(event: ReactPointerEvent<HTMLDivElement>) {
    if (drag.current?.pointer !== event.pointerId) return;
    drag.current = null;
    setDragging(false);
  }

  const subject = image.faces[0];
  const naturalWidth = image.width > 0 ? image.width : 1;
  const naturalHeight = image.height > 0 ? image.height : 1;
  const ratio = naturalWidth / naturalHeight;
  const sideways = (rotation / 90) % 2 !== 0;
  // The anchor sits at the panel centre (plus the shared pan): the subject face in face mode.
  const anchorX = view.faces && subject ? (subject.box.x1 + subject.box.x2) / 2 / naturalWidth - 0.5 : 0;
  const anchorY = view.faces && subject ? (subject.box.y1 + subject.box.y2) / 2 / naturalHeight - 0.5 : 0;
  // The frame is the image fitted ("contain") into its panel, sized with container query
  // units so it is right on the server render too; a quarter turn swaps the sides to fit.
  const frameStyle: CSSProperties = {
    width: sideways ? `min(100cqh, ${ratio * 100}cqw)` : `min(100cqw, ${ratio * 100}cqh)`,
    aspectRatio: `${naturalWidth} / ${naturalHeight}`,
    // Read right to left: move the anchor to the frame centre, rotate, zoom, then pan.
    transform:
      `translate(${view.x * 100}cqw, ${view.y * 100}cqh) scale(${view.scale}) ` +
      `rotate(${rotation}deg) translate(${-anchorX * 100}%, ${-anchorY * 100}%)`,
  };

  return (
    <figure ref={props.panelRef} className={styles.panel}>
      <div
        ref={viewportRef}
        className={styles.viewport}
        data-dragging={dragging || undefined}
        tabIndex={0}
        role="group"
        aria-label={`${label} image; arrow keys pan, + and - zoom`}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={endDrag}
        onPointerCancel={endDrag}
      >
        {failed ? (
          <p className={styles.unavailable} role="alert">
            Image unavailable: the link may have expired - reload the page
          </p>
        ) : (
          <div className={styles.frame} style={frameStyle}>
            {/* A plain <img>: the URL is signed and expiring, so it must not go through an image cache. */}
            <img
              ref={imgRef}
              className={styles.image}
              src={image.url}
              alt={label}
              width={image.width}
              height={image.height}
              data-role={image.role}
              data-testid={props.imageTestId}
              loading="eager"
              decoding="async"
              fetchPriority={index < 2 ? "high" : "auto"}
              draggable={false}
              onError={() => setFailedUrl(image.url)}
            />
            {showOverlay && image.faces.length > 0 && <FaceOverlay image={image} />}
          </div>
        )}
      </div>
      <figcaption className={styles.caption}>
        <span className={styles.role}>{label}</span>
        <span>
          {image.width}×{image.height}
        </span>
        {image.faces.length === 0 && <span className={styles.warningText}>no face found</span>}
        {image.faces.length > 1 && <span className={styles.warningText}>{image.faces.length} faces</span>}
        <span className={styles.captionActions}>
          <button type="button" className={styles.button} onClick={() => props.onRotate(image.id)} title="Rotate 90°">
            Rotate
          </button>
          {canFullscreen && (
            <button
              type="button"
              className={styles.button}
              onClick={() => props.onToggleFullscreen(index)}
              aria-pressed={isFullscreen}
              aria-keyshortcuts={index === 0 && props.keyboard ? "F" : undefined}
              title={index === 0 && props.keyboard ? "Full screen (F)" : "Full screen"}
            >
              {isFullscreen ? "Exit full screen" : "Full screen"}
            </button>
          )}
        </span>
      </figcaption>
    </figure>
  );
}

/** Face boxes, landmarks and a document's outline in the image's own pixels, so the SVG scales and turns with it. */
function FaceOverlay({ image }: { image: ViewerImage }) {
  // Dots sized to the face, with a floor so small faces in large photos still show them.
  const minDot = Math.max(image.width, image.height) * 0.003;
  return (
    <svg className={styles.overlay} viewBox={`0 0 ${image.width} ${image.height}`} preserveAspectRatio="none" aria-hidden="true">
      {image.outline ? <polygon points={image.outline.map(([x, y]) => `${x},${y}`).join(" ")} className={styles.outline} vectorEffect="non-scaling-stroke" data-testid="document-outline" /> : null}
      {image.faces.map((face, i) => {
        const { x1, y1, x2, y2 } = face.box;
        const isSubject = i === 0;
        const dot = Math.max(minDot, (x2 - x1) * 0.025);
        return (
          <g key={i} className={isSubject ? styles.subjectFace : styles.otherFace}>
            <rect x={x1} y={y1} width={x2 - x1} height={y2 - y1} className={styles.faceBox} vectorEffect="non-scaling-stroke" />
            {face.landmarks.map(([x, y], j) => (
              <circle key={j} cx={x} cy={y} r={dot} className={styles.landmark} />
            ))}
          </g>
        );
      })}
    </svg>
  );
}
