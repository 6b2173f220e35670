"""Real, playable MP4 files without an encoder: a hand-written H.264 stream in an ISO BMFF box.

A fake video must survive a real decoder (ffprobe, PyAV, a browser) and report the resolution,
frame rate and length the request asked for, yet cost nothing to build. So the picture is one
flat colour: a single IDR frame whose first macroblock carries a DC-only residual, every other
macroblock copying it by DC prediction (8 bits each), then P frames made of skipped macroblocks
(a few bytes each). The file's size is the media record's ``size_bytes``: a trailing ``free``
box holds the rest as zero bytes, so the bytes that matter (:func:`mp4_prefix`) stay small and
the server can stream the zeros without building them.

Only the standard library is used, and nothing reads the clock: the same arguments always give
the same bytes.
"""

from __future__ import annotations

import hashlib
import re
import struct
from typing import Final

# --- H.264 (ITU-T H.264, Constrained Baseline profile, CAVLC) ---------------------------------
_PROFILE_BASELINE: Final = 66
_CONSTRAINT_FLAGS: Final = 0xC0  # constraint_set0 + constraint_set1: Constrained Baseline
_LOG2_MAX_FRAME_NUM: Final = 4  # frame_num wraps at 16, so only 16 distinct P frames exist
_SLICE_QP: Final = 28  # at QP 28 a luma DC level v adds exactly v, a chroma one exactly 2 * v
_SLICE_QP_DELTA: Final = _SLICE_QP - 26  # the PPS leaves pic_init_qp at 26
_MB_COPY: Final = "00100111"  # I_16x16 DC pred, no residual: mb_type 3, chroma DC, qp delta 0, no DC

# Table A-1: (level_idc, MaxFS in macroblocks, MaxMBPS); the smallest that fits is signalled.
_LEVELS: Final = (
    (10, 99, 1485),
    (11, 396, 3000),
    (12, 396, 6000),
    (13, 396, 11880),
    (20, 396, 11880),
    (21, 792, 19800),
    (22, 1620, 20250),
    (30, 1620, 40500),
    (31, 3600, 108000),
    (32, 5120, 216000),
    (40, 8192, 245760),
    (42, 8704, 522240),
    (50, 22080, 589824),
    (51, 36864, 983040),
    (52, 36864, 2073600),
    (60, 139264, 4177920),
    (61, 139264, 8355840),
    (62, 139264, 16711680),
)

# --- MP4 -------------------------------------------------------------------------------------
_TICKS_PER_FRAME: Final = 1000  # timescale = fps * 1000: every sample lasts exactly 1000 ticks
_U32: Final = 2**32 - 1
_FREE_SMALL_MAX: Final = _U32 - 8  # padding beyond this needs the 64-bit largesize header
_MATRIX: Final = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)  # identity
_EMULATION: Final = re.compile(b"\x00\x00(?=[\x00-\x03])")


class _Bits:
    """An RBSP under construction, as a string of '0'/'1' (fast enough: a frame is one join)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def u(self, width: int, value: int) -> None:
        if width:
            self.parts.append(format(value, f"0{width}b"))

    def ue(self, value: int) -> None:
        code = format(value + 1, "b")
        self.parts.append("0" * (len(code) - 1) + code)

    def se(self, value: int) -> None:
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def raw(self, bits: str) -> None:
        self.parts.append(bits)

    def nal(self, header: int) -> bytes:
        """The NAL unit: header byte, then the RBSP with its stop bit and emulation prevention."""
        bits = "".join(self.parts) + "1"
        bits += "0" * (-len(bits) % 8)
        rbsp = int(bits, 2).to_bytes(len(bits) // 8, "big")
        return bytes([header]) + _EMULATION.sub(b"\x00\x00\x03", rbsp)


def _level_idc(mbs_wide: int, mbs_high: int, fps: int) -> int | None:
    frame = mbs_wide * mbs_high
    for idc, max_fs, max_mbps in _LEVELS:
        side = (8 * max_fs) ** 0.5
        if frame <= max_fs and frame * fps <= max_mbps and mbs_wide <= side and mbs_high <= side:
            return idc
    return None


def _sps(width: int, height: int, fps: int, level: int) -> bytes:
    mbs_wide, mbs_high = -(-width // 16), -(-height // 16)
    b = _Bits()
    b.u(8, _PROFILE_BASELINE)
    b.u(8, _CONSTRAINT_FLAGS)
    b.u(8, level)
    b.ue(0)  # seq_parameter_set_id
    b.ue(_LOG2_MAX_FRAME_NUM - 4)
    b.ue(2)  # pic_order_cnt_type 2: output order is decode order, no POC in slice headers
    b.ue(1)  # max_num_ref_frames
    b.u(1, 0)  # gaps_in_frame_num_value_allowed_flag
    b.ue(mbs_wide - 1)
    b.ue(mbs_high - 1)
    b.u(1, 1)  # frame_mbs_only_flag
    b.u(1, 1)  # direct_8x8_inference_flag
    crop_right, crop_bottom = (16 * mbs_wide - width) // 2, (16 * mbs_high - height) // 2  # 4:2:0: 2 px
    b.u(1, 1 if crop_right or crop_bottom else 0)  # frame_cropping_flag (1080 = 67.5 macroblocks)
    if crop_right or crop_bottom:
        b.ue(0)
        b.ue(crop_right)
        b.ue(0)
        b.ue(crop_bottom)
    b.u(1, 1)  # vui_parameters_present_flag: square pixels, BT.709, frame rate, no reordering
    b.u(1, 1)  # aspect_ratio_info_present_flag
    b.u(8, 1)  # aspect_ratio_idc 1:1
    b.u(1, 0)  # overscan_info_present_flag
    b.u(1, 1)  # video_signal_type_present_flag
    b.u(3, 5)  # video_format: unspecified
    b.u(1, 0)  # video_full_range_flag: limited range
    b.u(1, 1)  # colour_description_present_flag
    b.u(24, 0x010101)  # colour_primaries, transfer_characteristics, matrix_coefficients: BT.709
    b.u(1, 0)  # chroma_loc_info_present_flag
    b.u(1, 1)  # timing_info_present_flag
    b.u(32, 1)  # num_units_in_tick
    b.u(32, 2 * fps)  # time_scale: two ticks per frame
    b.u(1, 1)  # fixed_frame_rate_flag
    b.u(1, 0)  # nal_hrd_parameters_present_flag
    b.u(1, 0)  # vcl_hrd_parameters_present_flag
    b.u(1, 0)  # pic_struct_present_flag
    b.u(1, 1)  # bitstream_restriction_flag: lets decoders output each frame at once
    b.u(1, 1)  # motion_vectors_over_pic_boundaries_flag
    b.ue(2)  # max_bytes_per_pic_denom
    b.ue(1)  # max_bits_per_mb_denom
    b.ue(16)  # log2_max_mv_length_horizontal
    b.ue(16)  # log2_max_mv_length_vertical
    b.ue(0)  # max_num_reorder_frames
    b.ue(1)  # max_dec_frame_buffering
    return b.nal(0x67)


def _pps() -> bytes:
    b = _Bits()
    b.ue(0)  # pic_parameter_set_id
    b.ue(0)  # seq_parameter_set_id
    b.u(1, 0)  # entropy_coding_mode_flag: CAVLC
    b.u(1, 0)  # bottom_field_pic_order_in_frame_present_flag
    b.ue(0)  # num_slice_groups_minus1
    b.ue(0)  # num_ref_idx_l0_default_active_minus1
    b.ue(0)  # num_ref_idx_l1_default_active_minus1
    b.u(1, 0)  # weighted_pred_flag
    b.u(2, 0)  # weighted_bipred_idc
    b.se(0)  # pic_init_qp_minus26
    b.se(0)  # pic_init_qs_minus26
    b.se(0)  # chroma_qp_index_offset
    b.u(1, 1)  # deblocking_filter_control_present_flag: slices switch the filter off
    b.u(1, 0)  # constrained_intra_pred_flag
    b.u(1, 0)  # redundant_pic_cnt_present_flag
    return b.nal(0x68)


def _levels(seed: int) -> tuple[int, int, int]:
    """DC levels for Y, Cb, Cr: a limited-range colour (Y 16..235, Cb/Cr 16..240) per seed."""
    digest = hashlib.sha256(b"mock-media mp4 colour %d" % seed).digest()
    return digest[0] % 220 - 112, digest[1] % 113 - 56, digest[2] % 113 - 56


def frame_colour(seed: int) -> tuple[int, int, int]:
    """The (Y, Cb, Cr) every pixel of every frame decodes to, so tests can check the picture."""
    luma, cb, cr = _levels(seed)
    return 128 + luma, 128 + 2 * cb, 128 + 2 * cr


def _dc_block(b: _Bits, level: int, chroma: bool) -> None:
    """A CAVLC residual block whose only coefficient is the DC one (Tables 9-5, 9-7, 9-9a)."""
    if level == 0:
        b.raw("01" if chroma else "1")  # coeff_token TotalCoeff 0 (nC -1 / nC 0)
        return
    if abs(level) == 1:
        b.raw("1" if chroma else "01")  # coeff_token TotalCoeff 1, TrailingOnes 1
        b.u(1, 1 if level < 0 else 0)  # trailing_ones_sign_flag
    else:
        b.raw("000111" if chroma else "000101")  # coeff_token TotalCoeff 1, TrailingOnes 0
        # levelCode, less 2: the first level after fewer than 3 trailing ones is never +-1.
        code = (2 * level - 2 if level > 0 else -2 * level - 1) - 2
        if code < 14:
            b.raw("0" * code + "1")  # level_prefix, suffixLength 0: no suffix
        elif code < 30:
            b.raw("0" * 14 + "1")
            b.u(4, code - 14)
        else:
            b.raw("0" * 15 + "1")
            b.u(12, code - 30)
    b.raw("1")  # total_zeros 0: the coefficient is the first in scan order


def _idr(macroblocks: int, seed: int) -> bytes:
    b = _Bits()
    b.ue(0)  # first_mb_in_slice
    b.ue(7)  # slice_type: I (all slices)
    b.ue(0)  # pic_parameter_set_id
    b.u(_LOG2_MAX_FRAME_NUM, 0)  # frame_num
    b.ue(0)  # idr_pic_id
    b.u(1, 0)  # no_output_of_prior_pics_flag
    b.u(1, 0)  # long_term_reference_flag
    b.se(_SLICE_QP_DELTA)
    b.ue(1)  # disable_deblocking_filter_idc: a flat picture has no edges to smooth
    luma, cb, cr = _levels(seed)
    b.ue(7)  # mb_type I_16x16_2_1_0: DC prediction, chroma DC coded, no luma AC
    b.ue(0)  # intra_chroma_pred_mode: DC
    b.se(0)  # mb_qp_delta
    _dc_block(b, luma, chroma=False)  # Intra16x16DCLevel: nC 0, no neighbours
    _dc_block(b, cb, chroma=True)  # ChromaDCLevel Cb
    _dc_block(b, cr, chroma=True)  # ChromaDCLevel Cr
    b.raw(_MB_COPY * (macroblocks - 1))  # DC prediction from the neighbours copies the colour
    return b.nal(0x65)


def _p_skip(macroblocks: int, frame_num: int) -> bytes:
    b = _Bits()
    b.ue(0)  # first_mb_in_slice
    b.ue(5)  # slice_type: P (all slices)
    b.ue(0)  # pic_parameter_set_id
    b.u(_LOG2_MAX_FRAME_NUM, frame_num)
    b.u(1, 0)  # num_ref_idx_active_override_flag
    b.u(1, 0)  # ref_pic_list_modification_flag_l0
    b.u(1, 0)  # adaptive_ref_pic_marking_mode_flag: sliding window
    b.se(_SLICE_QP_DELTA)
    b.ue(1)  # disable_deblocking_filter_idc
    b.ue(macroblocks)  # mb_skip_run: every macroblock copies the previous frame
    return b.nal(0x41)


# --- ISO BMFF boxes ----------------------------------------------------------------------------
def _box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full_box(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    return _box(kind, struct.pack(">I", version << 24 | flags), *payload)


def _sample(*nals: bytes) -> bytes:
    return b"".join(struct.pack(">I", len(nal)) + nal for nal in nals)


def _avc1(width: int, height: int, sps: bytes, pps: bytes) -> bytes:
    avcc = _box(
        b"avcC",
        bytes([1, sps[1], sps[2], sps[3], 0xFF, 0xE1]),  # 4-byte NAL lengths, one SPS
        struct.pack(">H", len(sps)),
        sps,
        b"\x01",
        struct.pack(">H", len(pps)),
        pps,
    )
    name = b"mock-media H.264"
    return _box(
        b"avc1",
        b"\0" * 6 + struct.pack(">H", 1),  # reserved, data_reference_index
        b"\0" * 16,  # pre_defined, reserved, pre_defined[3]
        struct.pack(">HHIII", width, height, 0x480000, 0x480000, 0),  # 72 dpi
        struct.pack(">H", 1),  # frame_count per sample
        bytes([len(name)]) + name.ljust(31, b"\0"),
        struct.pack(">Hh", 0x18, -1),  # depth, pre_defined
        avcc,
    )


def _moov(width: int, height: int, fps: int, sizes: list[int], chunk_offset: int, stsd: bytes) -> bytes:
    frames = len(sizes)
    timescale, duration = fps * _TICKS_PER_FRAME, frames * _TICKS_PER_FRAME
    mvhd = _full_box(
        b"mvhd",
        0,
        0,
        struct.pack(">IIII", 0, 0, timescale, duration),  # creation/modification time: fixed
        struct.pack(">IH", 0x10000, 0x100) + b"\0" * 10,  # rate 1.0, volume 1.0, reserved
        _MATRIX,
        b"\0" * 24,  # pre_defined
        struct.pack(">I", 2),  # next_track_ID
    )
    tkhd = _full_box(
        b"tkhd",
        0,
        3,  # enabled, in movie
        struct.pack(">IIIII", 0, 0, 1, 0, duration),  # times, track_ID 1, reserved, duration
        b"\0" * 8,
        struct.pack(">hhhH", 0, 0, 0, 0),  # layer, alternate_group, volume, reserved
        _MATRIX,
        struct.pack(">II", width << 16, height << 16),
    )
    mdhd = _full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, timescale, duration, 0x55C4, 0))  # und
    hdlr = _full_box(b"hdlr", 0, 0, b"\0" * 4 + b"vide" + b"\0" * 12 + b"VideoHandler\0")
    vmhd = _full_box(b"vmhd", 0, 1, b"\0" * 8)
    dinf = _box(b"dinf", _full_box(b"dref", 0, 0, struct.pack(">I", 1), _full_box(b"url ", 0, 1)))
    stbl = _box(
        b"stbl",
        _full_box(b"stsd", 0, 0, struct.pack(">I", 1), stsd),
        _full_box(b"stts", 0, 0, struct.pack(">III", 1, frames, _TICKS_PER_FRAME)),
        _full_box(b"stss", 0, 0, struct.pack(">II", 1, 1)),  # only the first frame is a sync sample
        _full_box(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, frames, 1)),  # one chunk, all samples
        _full_box(b"stsz", 0, 0, struct.pack(f">II{frames}I", 0, frames, *sizes)),
        _full_box(b"stco", 0, 0, struct.pack(">II", 1, chunk_offset)),
    )
    minf = _box(b"minf", vmhd, dinf, stbl)
    trak = _box(b"trak", tkhd, _box(b"mdia", mdhd, hdlr, minf))
    return _box(b"moov", mvhd, trak)


def _frame_count(fps: int, duration_seconds: float) -> int:
    return round(fps * duration_seconds)


def _body(width: int, height: int, fps: int, duration_seconds: float, seed: int) -> tuple[bytes, bytes]:
    """(ftyp + moov, mdat payload): everything that does not depend on size_bytes."""
    mbs_wide, mbs_high = -(-width // 16), -(-height // 16)
    macroblocks = mbs_wide * mbs_high
    level = _level_idc(mbs_wide, mbs_high, fps)
    frames = _frame_count(fps, duration_seconds)
    if (
        width <= 0
        or height <= 0
        or width % 2
        or height % 2
        or fps <= 0
        or frames < 1
        or level is None
        or frames * _TICKS_PER_FRAME > _U32
        or fps * _TICKS_PER_FRAME > _U32
    ):
        raise ValueError(
            f"cannot encode an MP4 of width={width}, height={height}, fps={fps}, "
            f"duration_seconds={duration_seconds}: sizes must be positive and even, and the frame "
            f"rate, frame count ({frames}) and macroblock rate must fit H.264 level 6.2"
        )
    # frame_num counts frames modulo 16: frames 1, 2, ... repeat one 16-frame cycle of P frames.
    period = 1 << _LOG2_MAX_FRAME_NUM
    cycle = [_sample(_p_skip(macroblocks, n % period)) for n in range(1, period + 1)]
    repeats, rest = divmod(frames - 1, len(cycle))
    idr = _sample(_idr(macroblocks, seed))
    media = idr + b"".join(cycle) * repeats + b"".join(cycle[:rest])
    sizes = [
        len(idr),
        *[len(sample) for sample in cycle] * repeats,
        *[len(sample) for sample in cycle[:rest]],
    ]
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 512), b"isomiso2avc1mp41")
    stsd = _avc1(width, height, _sps(width, height, fps, level), _pps())
    # The chunk offset sits inside moov, but moov's length does not depend on its value.
    moov_size = len(_moov(width, height, fps, sizes, 0, stsd))
    moov = _moov(width, height, fps, sizes, len(ftyp) + moov_size + 8, stsd)
    return ftyp + moov, media


def mp4_prefix(
    width: int, height: int, fps: int, duration_seconds: float, size_bytes: int, seed: int
) -> bytes:
    """The file's bytes up to where only zero bytes follow: the served file is
    prefix + b"\\0" * (size_bytes - len(prefix)), exactly size_bytes long.

    Layout: ``ftyp``, ``moov`` (first, so players start before the download ends), ``mdat``
    with round(fps * duration_seconds) H.264 frames of one flat colour (:func:`frame_colour`
    of ``seed``), then a ``free`` box whose payload is the zero padding; the prefix ends with
    that box's header (a 64-bit one past 4 GiB). When fewer than 8 bytes are left over, the
    ``mdat`` box grows to cover them instead, so every size from the minimum up works.

    Raises:
        ValueError: ``size_bytes`` is smaller than the minimal file, or the picture cannot be
            encoded (odd or non-positive sizes, no frames, beyond H.264 level 6.2).
    """
    head, media = _body(width, height, fps, duration_seconds, seed)
    minimum = len(head) + 8 + len(media)
    spare = size_bytes - minimum
    if spare < 0:
        raise ValueError(
            f"size_bytes={size_bytes} is too small for an MP4 of width={width}, height={height}, "
            f"fps={fps}, duration_seconds={duration_seconds}: it needs at least {minimum} bytes"
        )
    if spare < 8:  # too little room for a free box: the mdat box ends in the zeros instead
        return head + struct.pack(">I", 8 + len(media) + spare) + b"mdat" + media
    mdat = struct.pack(">I", 8 + len(media)) + b"mdat" + media
    if spare - 8 <= _FREE_SMALL_MAX:
        return head + mdat + struct.pack(">I", spare) + b"free"
    return head + mdat + struct.pack(">I", 1) + b"free" + struct.pack(">Q", spare)
