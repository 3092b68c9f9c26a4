"""Data files are a stranger's input too: CIFAR's pickles never run code, IDX headers are
checked against the data (a gzip bomb is cut off), images over Pillow's limit or unreadable
are refused — each a fixture made here, each error one line naming the file."""

from __future__ import annotations

import gzip
import os
import pickle
import struct
import zlib

import numpy as np
import pytest
from helpers import MNIST

torch = pytest.importorskip("torch")

from archcalc.reference import data as D
from archcalc.reference import readers
from archcalc.reference.train import TrainConfig, TrainError, train

# -- CIFAR-10 ------------------------------------------------------------------------------


def images(n: int) -> np.ndarray:
    return np.random.default_rng(n).integers(0, 256, (n, 3072), dtype=np.uint8)


def py2_batch(data: np.ndarray, labels: list[int], flags: int = 0) -> bytes:
    """A batch as CIFAR-10's own files are: a dict pickled by Python 2 at protocol 2, its
    strings Python 2 strs (bytes under encoding="bytes"), the array numpy 1's pickle."""
    def s(b: bytes) -> bytes:
        return b"U" + bytes([len(b)]) + b if len(b) < 256 else \
            b"T" + struct.pack("<I", len(b)) + b

    def n(v: int) -> bytes:
        return b"M" + struct.pack("<H", v)
    dtype = (b"cnumpy\ndtype\n" + s(b"u1") + b"K\x00K\x01\x87R(K\x03" + s(b"|")
             + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK" + bytes([flags]) + b"tb")
    array = (b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85" + s(b"b")
             + b"\x87R(K\x01" + n(data.shape[0]) + n(data.shape[1]) + b"\x86" + dtype
             + b"\x89" + s(data.tobytes()) + b"tb")
    return (b"\x80\x02}(" + s(b"batch_label") + s(b"training batch 1 of 5") + s(b"data")
            + array + s(b"labels") + b"](" + b"".join(b"K" + bytes([v]) for v in labels)
            + b"eu.")


def write_cifar(root, batch: bytes) -> None:
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (root / name).write_bytes(batch)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_cifar_batches_pickled_by_python_3_load(tmp_path, protocol):
    x = images(4)
    write_cifar(tmp_path, pickle.dumps({b"batch_label": b"testing batch 1 of 1", b"data": x,
                                        b"labels": [0, 1, 2, 9],
                                        b"filenames": [b"a.png"] * 4}, protocol=protocol))
    ds = D.load(f"cifar10:{tmp_path}", (3, 32, 32), None)
    assert ds.train.x.shape == (20, 3, 32, 32) and ds.test.y.tolist() == [0, 1, 2, 9]
    assert torch.equal(ds.test.x, torch.from_numpy(x).reshape(4, 3, 32, 32).float() / 255)


def test_a_batch_as_cifar_ships_it_loads_and_the_fixture_is_a_real_pickle(tmp_path):
    x = images(3)
    batch = py2_batch(x, [3, 1, 4])
    trusted = pickle.loads(batch, encoding="bytes")  # the fixture is what numpy would read
    assert np.array_equal(trusted[b"data"], x) and trusted[b"labels"] == [3, 1, 4]
    write_cifar(tmp_path, batch)
    ds = D.load(f"cifar10:{tmp_path}", (3, 32, 32), None)
    assert torch.equal(ds.test.x, torch.from_numpy(x).reshape(3, 3, 32, 32).float() / 255)
    assert ds.test.y.tolist() == [3, 1, 4]


def cifar_error(root, batch: bytes) -> str:
    write_cifar(root, batch)
    with pytest.raises(D.DataError) as info:
        D.load(f"cifar10:{root}", (3, 32, 32), None)
    return str(info.value)


def test_a_batch_that_would_run_code_is_refused(tmp_path):
    marker = tmp_path / "ran"
    exploit = b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR."
    assert cifar_error(tmp_path, exploit) == (f"{tmp_path / 'data_batch_1'}: refused: the "
                                              "pickle holds os.system, which a CIFAR-10 batch "
                                              "never holds")
    assert not marker.exists()
    pickle.loads(exploit)  # proof that the fixture is live: plain pickle runs it
    assert marker.exists()


BATCHES = {  # name: (the batch's bytes, the message after "PATH: ")
    "object_array": (pickle.dumps({b"data": np.array([1, "x"], dtype=object)}, protocol=2),
                     "refused: the pickle holds a numpy dtype 'O8', not a plain number type"),
    "dtype_with_object_flags": (py2_batch(images(1), [0], flags=63),
                                ("refused: the pickle holds a numpy dtype with fields or "
                                 "flags, not a plain number type")),
    "state_for_a_stub": (b"cnumpy\ndtype\n}(S'numpy'\nK\x01ub.",  # would set dtype.numpy
                         "refused: the pickle holds a state for a class or function"),
    "ndarray_called": (b"cnumpy\nndarray\n)R.",
                       "refused: the pickle holds numpy.ndarray called directly"),
    "not_a_pickle": (bytes(range(256)),
                     "not a CIFAR-10 python batch (UnpicklingError while unpickling)"),
    "truncated": (py2_batch(images(2), [0, 1])[:500],
                  "not a CIFAR-10 python batch (UnpicklingError while unpickling)"),
    "a_list": (pickle.dumps([1, 2], protocol=2),
               "not a CIFAR-10 batch (no dict with an array b'data')"),
    "data_not_bytes": (pickle.dumps({b"data": np.zeros((2, 3072), np.float32),
                                     b"labels": [0, 1]}),
                       "b'data' is float32 of shape (2, 3072), not N×3072 bytes"),
    "no_images": (pickle.dumps({b"data": np.zeros((0, 3072), np.uint8), b"labels": []}),
                  "b'data' is uint8 of shape (0, 3072), not N×3072 bytes"),
    "labels_out_of_range": (py2_batch(images(2), [0, 200]),
                            "b'labels' is not a list of one label from 0 to 9 per image"),
    "labels_too_few": (py2_batch(images(2), [0]),
                       "b'labels' is not a list of one label from 0 to 9 per image"),
}


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_a_bad_cifar_batch_is_one_line_naming_it(tmp_path, name):
    batch, message = BATCHES[name]
    assert cifar_error(tmp_path, batch) == f"{tmp_path / 'data_batch_1'}: {message}"


def test_a_batch_larger_than_cifar_is_not_read(tmp_path):
    write_cifar(tmp_path, b"")
    with open(tmp_path / "data_batch_1", "wb") as f:
        f.truncate(readers.MAX_BATCH_BYTES + 1)
    with pytest.raises(D.DataError) as info:
        D.load(f"cifar10:{tmp_path}", (3, 32, 32), None)
    assert str(info.value) == (f"{tmp_path / 'data_batch_1'}: larger than a CIFAR-10 batch "
                               "can be (67,108,864 bytes)")


# -- IDX (MNIST) ---------------------------------------------------------------------------

def idx(dims, payload: bytes | None = None, magic=b"\x00\x00\x08") -> bytes:
    body = payload if payload is not None else bytes(int(np.prod(dims)))
    return magic + bytes([len(dims)]) + struct.pack(">" + "I" * len(dims), *dims) + body


def write_mnist(root, **replace) -> None:
    """Valid IDX files of 10 and 5 images, then `replace`'s (name: bytes; .gz names too)."""
    files = {"train-images-idx3-ubyte": idx((10, 28, 28)),
             "train-labels-idx1-ubyte": idx((10,), bytes(range(10))),
             "t10k-images-idx3-ubyte": idx((5, 28, 28)),
             "t10k-labels-idx1-ubyte": idx((5,), bytes(range(5)))}
    for name, data in replace.items():
        files.pop(name.removesuffix(".gz"))
        files[name] = data
    for name, data in files.items():
        (root / name).write_bytes(data)


IMAGES, LABELS = "train-images-idx3-ubyte", "train-labels-idx1-ubyte"
BOMB = gzip.compress(idx((10, 28, 28), bytes(8_000_000)))  # 8 MB of zeros in 8 KB
IDX = {  # name: (the file it replaces, its bytes, the message after "PATH: ")
    "short_data": (IMAGES, idx((10, 28, 28), bytes(100)),
                   "100 bytes of data where the header says 10×28×28 (7,840)"),
    "long_data": (IMAGES, idx((10, 28, 28), bytes(7841)),
                  "7,841 bytes of data where the header says 10×28×28 (7,840)"),
    "huge_header": (IMAGES, idx((4_294_967_295, 28, 28), b""),
                    "its header says 4294967295×28×28, more than 1,073,741,824 bytes"),
    "gzip_bomb": (IMAGES + ".gz", BOMB, "more data than the header's 10×28×28 (7,840 bytes)"),
    "gzip_short": (IMAGES + ".gz", gzip.compress(idx((10, 28, 28), bytes(99))),
                   "99 bytes of data where the header says 10×28×28 (7,840)"),
    "gzip_truncated": (IMAGES + ".gz", gzip.compress(idx((10, 28, 28)))[:30],
                       "truncated (the compressed data ends early)"),
    "gzip_corrupt": (IMAGES + ".gz", gzip.compress(idx((10, 28, 28)))[:10] + b"\xff" * 40,
                     "corrupt compressed data"),
    "not_gzip": (IMAGES + ".gz", idx((10, 28, 28)), "not a gzip file"),
    "wrong_magic": (IMAGES, idx((10, 28, 28), magic=b"\x00\x00\x0d"),
                    "not an unsigned-byte IDX file"),
    "wrong_dimensions": (LABELS, idx((10, 1, 1), bytes(10)),
                         "3 dimensions, where this file has 1"),
    "short_header": (IMAGES, b"\x00\x00", "too short for an IDX file"),
    "header_cut": (IMAGES, b"\x00\x00\x08\x03\x00\x00", "too short for its IDX header"),
    "not_28_by_28": (IMAGES, idx((10, 32, 32)), "10×32×32 images, not N×28×28"),
    "no_images": (IMAGES, idx((0, 28, 28)), "0×28×28 images, not N×28×28"),
    "fewer_labels": (LABELS, idx((9,), bytes(9)), "9 labels for 10 images"),
    "label_out_of_range": (LABELS, idx((10,), bytes([0] * 9 + [200])),
                           "label 200 (they are 0 to 9)"),
}


@pytest.mark.parametrize("name", sorted(IDX))
def test_a_bad_idx_file_is_one_line_naming_it(tmp_path, name):
    file, data, message = IDX[name]
    write_mnist(tmp_path, **{file: data})
    with pytest.raises(D.DataError) as info:
        D.load(f"mnist:{tmp_path}", (1, 28, 28), None)
    assert str(info.value) == f"{tmp_path / file}: {message}"


def test_a_fifo_is_not_opened(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / IMAGES).unlink()
    os.mkfifo(tmp_path / IMAGES)  # opening it would wait for a writer forever
    with pytest.raises(D.DataError) as info:
        D.load(f"mnist:{tmp_path}", (1, 28, 28), None)
    assert str(info.value) == f"{tmp_path / IMAGES}: not a regular file"


def test_valid_idx_files_raw_and_gzipped_load(tmp_path):
    write_mnist(tmp_path, **{IMAGES + ".gz": gzip.compress(idx((10, 28, 28), bytes(range(256))
                                                               * 30 + bytes(160)))})
    ds = D.load(f"mnist:{tmp_path}", (1, 28, 28), None)
    assert ds.train.x.shape == (10, 1, 28, 28) and ds.train.y.tolist() == list(range(10))
    assert float(ds.train.x[0, 0, 0, 1]) == pytest.approx(1 / 255)


@pytest.mark.skipif(not MNIST.exists(), reason="../shared/data/mnist is absent")
def test_the_real_mnist_files_load():
    ds = D.load(f"mnist:{MNIST}", (1, 28, 28), None)
    assert (len(ds.train.y), len(ds.test.y)) == (60_000, 10_000)
    assert ds.train.y[:5].tolist() == [5, 0, 4, 1, 9]


# -- image folders -------------------------------------------------------------------------

def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height grey pixels: a few bytes on disk, and as
    many bytes in memory once decoded (a decompression bomb, without the payload)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(width + 1))) + chunk(b"IEND", b""))


def image_folder(root, first: bytes | None = None, second: bytes | None = None):
    """train/ and val/ of two classes, 2 images each, 12×10 RGB; `first` replaces
    train/a/0.png, `second` replaces train/b/1.png."""
    from PIL import Image

    for split in ("train", "val"):
        for c, colour in (("a", 30), ("b", 200)):
            (root / split / c).mkdir(parents=True)
            for i in range(2):
                Image.new("RGB", (12, 10), (colour, i, 0)).save(root / split / c / f"{i}.png")
    if first is not None:
        (root / "train" / "a" / "0.png").write_bytes(first)
    if second is not None:
        (root / "train" / "b" / "1.png").write_bytes(second)


def folder_error(root) -> str:
    with pytest.raises(D.DataError) as info:
        ds = D.load(f"folder:{root}", (3, 16, 16), None)
        for i in range(len(ds.train.y)):
            D.FolderImages(ds.train, 3, (3, 16, 16))[i]
    return str(info.value)


def test_a_decompression_bomb_is_refused(tmp_path):
    image_folder(tmp_path, first=png_claiming(100_000, 100_000))
    assert folder_error(tmp_path) == (f"{tmp_path / 'train' / 'a' / '0.png'}: more than "
                                      "89,478,485 pixels, refused as a possible "
                                      "decompression bomb")


def test_pillows_warning_band_is_refused_too(tmp_path, monkeypatch):
    from PIL import Image

    image_folder(tmp_path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 12×10 = 120: Pillow only warns
    assert folder_error(tmp_path) == (f"{tmp_path / 'train' / 'a' / '0.png'}: more than 100 "
                                      "pixels, refused as a possible decompression bomb")


def test_unreadable_images_are_named(tmp_path):
    image_folder(tmp_path, second=b"not an image at all")
    assert folder_error(tmp_path) == (f"{tmp_path / 'train' / 'b' / '1.png'}: not an image "
                                      "Pillow can read")
    good = (tmp_path / "train" / "a" / "1.png").read_bytes()
    (tmp_path / "train" / "b" / "1.png").write_bytes(good[: len(good) - 30])
    assert folder_error(tmp_path).startswith(f"{tmp_path / 'train' / 'b' / '1.png'}: cannot "
                                             "be decoded (OSError: ")


def test_an_unreadable_image_ends_training_in_one_line(tmp_path):
    """The image is read by a DataLoader worker; its error comes back as one line."""
    image_folder(tmp_path, second=b"not an image at all")
    cfg = TrainConfig(data=f"folder:{tmp_path}", epochs=1, batch_size=1, device="cpu",
                      out=str(tmp_path / "run"))
    spec = tmp_path / "s.yaml"
    spec.write_text("archcalc: 1\nname: s\ninput: [3, 16, 16]\nsymbols: {classes: 2}\n"
                    "layers:\n  - flatten\n  - fc: classes\n")
    with pytest.raises(TrainError) as info:
        train(spec, cfg, lambda *a, **k: None)
    assert str(info.value) == f"{tmp_path / 'train' / 'b' / '1.png'}: not an image Pillow can read"
