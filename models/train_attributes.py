#!/usr/bin/env python3
"""Train the face-attribute classifier (glasses, hat, jewellery, make-up, fringe, mouth, smile) as TFLite.

    python models/train_attributes.py /path/to/faces [--epochs 60] [--width 1.25] [--seed 0] [--all]

One command, offline and reproducible with ``--seed``. The folder holds photos plus ``labels.csv`` (``file``
and 0/1 columns glasses, hat, earrings, necklace, heavy_makeup, bangs, mouth_open, smiling; empty =
unknown) and ``meta.csv``
(``file``, ``identity``). Every photo goes through the booth's own analysis, and the model is trained on
``kiosk.vision.attributes.attribute_crop``, the crop the booth cuts at run time. The crops are cached as
an .npz in the temp folder (never in the repository: the photos' licence travels with them).

Split by identity, as ``bench/compliance.py`` does: identities whose SHA-256 is odd are held out (never
trained on) and judged at the end; of the rest, 15 % of identities are a validation set that picks the
probability cut-offs (best balanced accuracy) for the profiles. ``--all`` trains on every identity (for a
deployment retraining on photos it holds rights to; the cut-offs then come from the validation set alone).

Writes ``models/attributes_float.tflite`` and ``models/attributes_int8.tflite`` (full integer: uint8
pixels in, uint8 probabilities out; ``--out`` elsewhere) and prints the cut-offs, validation accuracy with
and without mirror averaging (``kiosk.vision.attributes.MIRROR``), held-out accuracy, int8/float agreement
and latency as Markdown. ``--dump`` saves the validation identities' probabilities (the booth's int8
model, as ``AttributeModel`` computes them) for setting the profile's ``[ask]`` bands.
Needs TensorFlow (a development tool: ``pip install tensorflow-cpu``); the booth itself only needs the
TFLite runtime.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from labelled import held_out, read_labelled, split_hash  # noqa: E402

from kiosk.vision.analysis import Analyser, ModelFiles  # noqa: E402
from kiosk.vision.attributes import CROP_H, CROP_W, HEADS, MIRROR, AttributeModel, attribute_crop  # noqa: E402

# Head -> label columns; a head is positive when any of its columns is 1.
HEAD_LABELS = {
    "glasses": ("glasses",),
    "hat": ("hat",),
    "jewellery": ("earrings", "necklace"),
    "heavy_makeup": ("heavy_makeup",),
    "bangs": ("bangs",),
    "mouth_open": ("mouth_open",),
    "smiling": ("smiling",),
}
CROP_VERSION = 2  # bump when attribute_crop changes, so a stale cache is not reused
VAL_SHARE = 15  # per cent of training identities kept for validation


def validation(identity: str) -> bool:
    return split_hash("val:" + identity) % 100 < VAL_SHARE


def load_rows(folder: Path) -> list[dict]:
    rows = []
    for photo in read_labelled(folder):
        y = []
        for head in HEADS:
            known = [v for v in (photo.label(c) for c in HEAD_LABELS[head]) if v is not None]
            y.append(float(max(known)) if known else -1.0)
        rows.append({"file": photo.file, "identity": photo.identity, "variant": photo.variant, "y": y})
    return rows


def extract(folder: Path, rows: list[dict], models_dir: Path, cache: Path) -> dict[str, np.ndarray]:
    """Crops of every photo with a face (RGB uint8), through the booth's analysis; cached."""
    if cache.is_file():
        got = dict(np.load(cache, allow_pickle=False))
        if got["files"].tolist() == [r["file"] for r in rows]:
            return got
    analyser = Analyser(ModelFiles.in_dir(models_dir), num_threads=2)
    crops = np.zeros((len(rows), CROP_H, CROP_W, 3), np.uint8)
    found = np.zeros(len(rows), bool)
    t0 = time.perf_counter()
    for i, row in enumerate(rows):
        img = cv2.imread(str(folder / row["file"]))
        if img is None:
            continue
        a = analyser.analyse(img, segment=False)
        if a.mesh is not None:
            crops[i] = attribute_crop(a)[..., ::-1]
            found[i] = True
        if i % 1000 == 999:
            print(f"  cropped {i + 1}/{len(rows)} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    out = {"files": np.array([r["file"] for r in rows]), "crops": crops, "found": found}
    np.savez(cache, files=out["files"], crops=crops, found=found)
    return out


def build_model(tf, seed: int, width: float = 1.0):  # noqa: ANN001, ANN201 - TensorFlow is imported late
    """MobileNet-like: one stride-2 convolution, then depthwise-separable blocks, pooling, one sigmoid
    layer with a unit per head. ``width`` scales every layer's channels (1.0: about 95 k weights, an
    int8 file of about 150 KB)."""
    layers = tf.keras.layers
    init = tf.keras.initializers.HeNormal(seed=seed)
    inp = layers.Input((CROP_H, CROP_W, 3), name="rgb")
    x = layers.Rescaling(1 / 127.5, offset=-1.0)(inp)
    x = layers.Conv2D(_channels(16, width), 3, strides=2, padding="same", use_bias=False, kernel_initializer=init)(x)
    x = layers.ReLU(6.0)(layers.BatchNormalization()(x))
    for filters, stride in ((32, 2), (64, 1), (64, 2), (128, 1), (128, 2), (160, 1), (192, 2)):
        x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x)
        x = layers.ReLU(6.0)(layers.BatchNormalization()(x))
        x = layers.Conv2D(_channels(filters, width), 1, use_bias=False, kernel_initializer=init)(x)
        x = layers.ReLU(6.0)(layers.BatchNormalization()(x))
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3, seed=seed)(x)
    out = layers.Dense(len(HEADS), activation="sigmoid", name="attributes")(x)
    return tf.keras.Model(inp, out)


def _channels(n: int, width: float) -> int:
    """Channels of a layer at ``width``, a multiple of 8 (what int8 kernels handle best)."""
    return max(8, int(round(n * width / 8)) * 8)


def augment(tf, seed: int):  # noqa: ANN001, ANN201
    """Mirror, shift by a few pixels, brightness, contrast and softness: what differs between two shots."""

    def fn(x, y):  # noqa: ANN001, ANN202
        x = tf.cast(x, tf.float32)
        x = tf.image.random_flip_left_right(x, seed=seed)
        x = tf.pad(x, [[4, 4], [4, 4], [0, 0]], mode="REFLECT")
        x = tf.image.random_crop(x, (CROP_H, CROP_W, 3), seed=seed)
        x = tf.image.random_contrast(x, 0.75, 1.25, seed=seed)
        x = x + tf.random.uniform((), -30.0, 30.0, seed=seed)
        # Softness: half the crops go through a smaller size and back, as a face upscaled in the booth
        # still or cut from a small photo looks.
        k = tf.random.uniform((), 0.45, 1.0, seed=seed)
        small = tf.cast(tf.round(tf.constant([CROP_H, CROP_W], tf.float32) * k), tf.int32)
        soft = tf.image.resize(tf.image.resize(x, small, antialias=True), (CROP_H, CROP_W))
        x = tf.cond(tf.random.uniform((), seed=seed) < 0.5, lambda: soft, lambda: x)
        return tf.clip_by_value(x, 0.0, 255.0), y

    return fn


def masked_bce(tf, pos_weight: np.ndarray):  # noqa: ANN001, ANN201
    """Binary cross-entropy per head, ignoring unknown labels (-1); positives weighted (rare heads)."""
    w = tf.constant(pos_weight, tf.float32)

    def loss(y, p):  # noqa: ANN001, ANN202
        known = tf.cast(y >= 0, tf.float32)
        y = tf.maximum(y, 0.0)
        p = tf.clip_by_value(p, 1e-6, 1 - 1e-6)
        ll = -(w * y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p))
        return tf.reduce_sum(ll * known) / tf.maximum(tf.reduce_sum(known), 1.0)

    return loss


def balanced_accuracy(p: np.ndarray, y: np.ndarray, cut: float) -> float:
    k = y >= 0
    p, y = p[k], y[k]
    if not (y == 1).any() or not (y == 0).any():
        return float("nan")
    return float(((p[y == 1] > cut).mean() + (p[y == 0] <= cut).mean()) / 2)


def best_cut(p: np.ndarray, y: np.ndarray) -> float:
    """The probability cut-off with the best balanced accuracy (ties: the higher cut)."""
    best, cut = -1.0, 0.5
    for c in np.round(np.arange(0.02, 0.981, 0.01), 2):
        score = balanced_accuracy(p, y, float(c))
        if score >= best:
            best, cut = score, float(c)
    return cut


def convert(tf, model, rep: np.ndarray, out_dir: Path) -> tuple[Path, Path]:  # noqa: ANN001
    """Float and full-integer TFLite files. The representative set is training crops plus one image
    holding pixel values 0 and 255, so the uint8 input keeps scale 1 / zero point 0 (raw pixels)."""
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    float_path = out_dir / "attributes_float.tflite"
    float_path.write_bytes(conv.convert())
    span = np.zeros((1, CROP_H, CROP_W, 3), np.float32)
    span[:, ::2] = 255.0

    def representative():  # noqa: ANN202
        yield [span]
        for x in rep:
            yield [x[None].astype(np.float32)]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.uint8
    conv.inference_output_type = tf.uint8
    int8_path = out_dir / "attributes_int8.tflite"
    int8_path.write_bytes(conv.convert())
    it = tf.lite.Interpreter(model_path=str(int8_path))
    (ins,), (outs,) = it.get_input_details(), it.get_output_details()
    in_q, out_q = ins["quantization"], outs["quantization"]
    if abs(in_q[0] - 1.0) > 1e-6 or in_q[1] != 0 or abs(out_q[0] - 1 / 256) > 1e-9 or out_q[1] != 0:
        raise SystemExit(f"unexpected quantisation: input {in_q}, output {out_q}")
    return float_path, int8_path


def latency_ms(model: AttributeModel, crops: np.ndarray, runs: int = 200) -> float:
    bgr = crops[..., ::-1]
    for x in bgr[:10]:
        model.predict_crop(x)
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        model.predict_crop(bgr[i % len(bgr)])
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.median(times))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--width", type=float, default=1.25, help="channel multiplier of every layer")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--all", action="store_true", help="train on every identity (no held-out judgement)")
    ap.add_argument("--models", type=Path, default=ROOT / "models", help="folder of the face models")
    ap.add_argument("--out", type=Path, default=None, help="folder for the two attribute models (default --models)")
    ap.add_argument("--dump", type=Path, default=None, help="save validation probabilities here (.npz)")
    ap.add_argument("--cache", type=Path, default=None, help="crop cache (.npz; default in the temp folder)")
    args = ap.parse_args(argv)

    rows = load_rows(args.folder)
    key = hashlib.sha256(f"{args.folder.resolve()}:{len(rows)}:{CROP_VERSION}".encode()).hexdigest()[:12]
    cache = args.cache or Path(tempfile.gettempdir()) / f"kiosk_attribute_crops_{key}.npz"
    print(f"cropping {len(rows)} photos (cache {cache})", file=sys.stderr)
    data = extract(args.folder, rows, args.models, cache)
    crops, found = data["crops"], data["found"]
    y = np.array([r["y"] for r in rows], np.float32)
    test = np.array([held_out(r["identity"]) and not args.all for r in rows])
    val = np.array([validation(r["identity"]) for r in rows]) & ~test
    train = found & ~test & ~val
    val &= found
    print(f"faces found {found.sum()}/{len(rows)}; train {train.sum()}, validation {val.sum()}, "
          f"held out {(test & found).sum()}", file=sys.stderr)  # fmt: skip

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(2)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.keras.utils.set_random_seed(args.seed)
    yt = y[train]
    pos = np.maximum((yt == 1).sum(0), 1)
    neg = np.maximum((yt == 0).sum(0), 1)
    pos_weight = np.clip(np.sqrt(neg / pos), 1.0, 4.0)
    model = build_model(tf, args.seed, args.width)
    steps = int(np.ceil(train.sum() / args.batch)) * args.epochs
    lr = tf.keras.optimizers.schedules.CosineDecay(3e-3, steps, alpha=0.02)
    model.compile(optimizer=tf.keras.optimizers.Adam(lr), loss=masked_bce(tf, pos_weight))
    ds = (
        tf.data.Dataset.from_tensor_slices((crops[train], yt))
        .shuffle(int(train.sum()), seed=args.seed)
        .map(augment(tf, args.seed), num_parallel_calls=1)
        .batch(args.batch)
        .prefetch(2)
    )
    val_ds = tf.data.Dataset.from_tensor_slices((crops[val].astype(np.float32), y[val])).batch(256)
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):  # the epoch log; stdout is the Markdown report
        model.fit(ds, epochs=args.epochs, validation_data=val_ds, verbose=2)
    train_s = time.perf_counter() - t0
    print(f"trained in {train_s:.0f} s; {model.count_params()} weights", file=sys.stderr)

    xv = crops[val].astype(np.float32)
    p_plain = model.predict(xv, batch_size=256, verbose=0)
    p_mirror = (p_plain + model.predict(xv[:, :, ::-1], batch_size=256, verbose=0)) / 2
    p_val = p_mirror if MIRROR else p_plain
    cuts = {h: best_cut(p_val[:, i], y[val][:, i]) for i, h in enumerate(HEADS)}
    val_acc = {
        name: {h: balanced_accuracy(pv[:, i], y[val][:, i], best_cut(pv[:, i], y[val][:, i]))
               for i, h in enumerate(HEADS)}
        for name, pv in (("crop", p_plain), ("crop and mirror", p_mirror))
    }  # fmt: skip
    rng = np.random.default_rng(args.seed)
    rep = crops[train][rng.choice(int(train.sum()), 300, replace=False)]
    out_dir = args.out or args.models
    out_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.redirect_stdout(sys.stderr):  # the converter talks on stdout; keep it for the report
        float_path, int8_path = convert(tf, model, rep, out_dir)

    print(f"## Attribute classifier (seed {args.seed}, {args.epochs} epochs, width {args.width}, "
          f"{train_s:.0f} s)\n")  # fmt: skip
    print(f"- weights: {model.count_params()}; float {float_path.stat().st_size:,} B, "
          f"int8 {int8_path.stat().st_size:,} B")  # fmt: skip
    print(f"- photos: train {train.sum()}, validation {val.sum()}, held out {(test & found).sum()}")
    print("- cut-offs (validation, best balanced accuracy): " + ", ".join(f"{h} {c:.2f}" for h, c in cuts.items()))
    print(f"- mirror averaging in the booth (MIRROR): {MIRROR}")
    print("\n### Validation balanced accuracy (float, each at its best cut-off)\n")
    print("| head | " + " | ".join(val_acc) + " |")
    print("| --- |" + " --- |" * len(val_acc))
    for h in HEADS:
        print(f"| {h} | " + " | ".join(f"{acc[h]:.3f}" for acc in val_acc.values()) + " |")
    print("| mean | " + " | ".join(f"{np.mean(list(acc.values())):.3f}" for acc in val_acc.values()) + " |\n")
    models = {k: AttributeModel(out_dir, k, num_threads=2) for k in ("float", "int8")}
    if args.dump:
        p_int8 = np.array([[models["int8"].predict_crop(c[..., ::-1])[h] for h in HEADS] for c in crops[val]])
        np.savez(args.dump, files=data["files"][val], y=y[val], int8=p_int8, float_plain=p_plain,
                 float_mirror=p_mirror, heads=np.array(HEADS))  # fmt: skip
    for kind, m in models.items():
        print(f"- latency {kind}: {latency_ms(m, crops[found][:200]):.2f} ms per crop (median, 2 threads)")
    judged = test & found if not args.all else val
    if judged.any():
        probs = {
            k: np.array([[m.predict_crop(c[..., ::-1])[h] for h in HEADS] for c in crops[judged]])
            for k, m in models.items()
        }
        agree = {h: float(((probs["int8"][:, i] > cuts[h]) == (probs["float"][:, i] > cuts[h])).mean())
                 for i, h in enumerate(HEADS)}  # fmt: skip
        variants = np.array([r["variant"] for r in rows])[judged]
        print(f"\n### {'Held-out' if not args.all else 'Validation'} balanced accuracy at the cut-offs\n")
        print("| head | variant | n | positives | float | int8 | int8 = float decisions |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for i, h in enumerate(HEADS):
            for v in sorted(set(variants)):
                sel = variants == v
                yy = y[judged][sel, i]
                n, npos = int((yy >= 0).sum()), int((yy == 1).sum())
                bf = balanced_accuracy(probs["float"][sel, i], yy, cuts[h])
                bi = balanced_accuracy(probs["int8"][sel, i], yy, cuts[h])
                print(f"| {h} | {v} | {n} | {npos} | {bf:.3f} | {bi:.3f} | {agree[h]:.1%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
