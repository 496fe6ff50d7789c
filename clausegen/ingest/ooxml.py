"""DOCX containers: zip bombs, encrypted entries, XML entities and deep nesting refused before parsing."""

from __future__ import annotations

import io
import posixpath
import zipfile

from clausegen.errors import CorruptFileError, EncryptedFileError, UnsafeFileError
from clausegen.ingest.limits import Limits, _RATIO_FLOOR_BYTES, _one_line, _size

# ---------------------------------------------------------------- DOCX: zip and XML safety


def _open_zip(data: bytes, name: str, limits: Limits) -> zipfile.ZipFile:
    """Return the zip archive after checking entry count, declared sizes and ratios, before inflating anything."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise CorruptFileError(f"{name}: corrupt zip archive ({_one_line(exc)})") from None
    infos = archive.infolist()
    if len(infos) > limits.max_zip_entries:
        raise UnsafeFileError(f"{name}: zip bomb refused ({len(infos)} entries > {limits.max_zip_entries} limit)")
    limit = _size(limits.max_unzipped_bytes)
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise EncryptedFileError(f"{name}: password-protected zip archive ({info.filename} is encrypted)")
        if info.file_size > limits.max_unzipped_bytes:
            raise UnsafeFileError(f"{name}: zip bomb refused ({info.filename} inflates past {limit})")
        if info.file_size > _RATIO_FLOOR_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_part_ratio:
                raise UnsafeFileError(
                    f"{name}: zip bomb refused ({info.filename} compression ratio {ratio:.0f}:1 > "
                    f"{limits.max_part_ratio}:1)"
                )
        total += info.file_size
    if total > limits.max_unzipped_bytes:
        raise UnsafeFileError(f"{name}: zip bomb refused (parts inflate to {_size(total)} in total, past {limit})")
    return archive


def _read_part(archive: zipfile.ZipFile, part: str, name: str) -> bytes:
    """Return a zip part's bytes, reading no more than its declared (already checked) size plus one byte."""
    info = archive.getinfo(part)
    with archive.open(info) as stream:
        raw = stream.read(info.file_size + 1)
    if len(raw) > info.file_size:
        raise UnsafeFileError(f"{name}: zip bomb refused ({part} inflates past its declared size)")
    return raw


_ENTITY_MARKS = tuple("<!ENTITY".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"))


def _parse_xml(raw: bytes, part: str, name: str, limits: Limits):
    """Return the root element of an XML part, refusing entity declarations, external references and deep nesting."""
    from lxml import etree

    if any(mark in raw for mark in _ENTITY_MARKS):
        raise UnsafeFileError(f"{name}: XML entity declarations refused in {part}")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, remove_comments=True
    )
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        if "depth" in str(exc).lower():
            raise UnsafeFileError(f"{name}: XML nesting too deep in {part}") from None
        if "amplification" in str(exc).lower():
            raise UnsafeFileError(f"{name}: XML entity declarations refused in {part}") from None
        raise CorruptFileError(f"{name}: malformed XML in {part} ({_one_line(exc)})") from None
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise UnsafeFileError(f"{name}: XML entity declarations refused in {part}")
    depth = 0
    for event, _element in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > limits.max_xml_depth:
            raise UnsafeFileError(
                f"{name}: XML nesting too deep in {part} (more than {limits.max_xml_depth} levels)"
            )
    return root


def _docx_parts(archive: zipfile.ZipFile, name: str, limits: Limits) -> tuple[dict[str, str], dict[str, str]]:
    """Return the zip names of the main document and its styles, numbering, footnotes and endnotes parts, and of
    its altChunk parts by relationship id."""
    names = set(archive.namelist())
    main = "word/document.xml"
    if "_rels/.rels" in names:
        rels = _parse_xml(_read_part(archive, "_rels/.rels", name), "_rels/.rels", name, limits)
        for rel in rels:
            if rel.get("Type", "").endswith("/officeDocument") and rel.get("TargetMode") != "External":
                main = posixpath.normpath(rel.get("Target", "").lstrip("/")) or main
                break
    if main not in names:
        raise CorruptFileError(f"{name}: missing {main}")
    folder = posixpath.dirname(main)
    parts = {"document": main}
    kinds = ("styles", "numbering", "footnotes", "endnotes")
    defaults = {kind: posixpath.join(folder, f"{kind}.xml") for kind in kinds}
    chunks = {}
    rels_name = posixpath.join(folder, "_rels", posixpath.basename(main) + ".rels")
    if rels_name in names:
        for rel in _parse_xml(_read_part(archive, rels_name, name), rels_name, name, limits):
            kind = rel.get("Type", "").rsplit("/", 1)[-1]
            if rel.get("TargetMode") == "External" or (kind not in defaults and kind != "aFChunk"):
                continue
            target = rel.get("Target", "")
            path = posixpath.normpath(target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target))
            if kind == "aFChunk":
                if path in names:
                    chunks[rel.get("Id", "")] = path
            else:
                defaults[kind] = path
    for kind, path in defaults.items():
        if path in names:
            parts[kind] = path
    return parts, chunks
