using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Strider.Devices.Cpu;

/// <summary>The 16x16 float transpose (AVX-512) of the Winograd weight transforms, which read whole rows of w instead of gathering taps.</summary>
internal static unsafe class Transpose16x16
{
    /// <summary>
    /// Stores the transpose of the 16x16 block whose row r is the 16 floats at src + r ld (unaligned): column j of the
    /// block at dst + j dstLd. Four rounds of 16 shuffles: pairs of rows interleaved, then pairs of those, then 128-bit
    /// blocks twice.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* src, long ld, float* dst, long dstLd)
    {
        // Per 128-bit block q: a0 = (r0[4q], r1[4q], r0[4q+1], r1[4q+1]), a1 = the same of 4q+2 and 4q+3.
        var a0 = Avx512F.UnpackLow(Vector512.Load(src), Vector512.Load(src + ld));
        var a1 = Avx512F.UnpackHigh(Vector512.Load(src), Vector512.Load(src + ld));
        var a2 = Avx512F.UnpackLow(Vector512.Load(src + 2 * ld), Vector512.Load(src + 3 * ld));
        var a3 = Avx512F.UnpackHigh(Vector512.Load(src + 2 * ld), Vector512.Load(src + 3 * ld));
        var a4 = Avx512F.UnpackLow(Vector512.Load(src + 4 * ld), Vector512.Load(src + 5 * ld));
        var a5 = Avx512F.UnpackHigh(Vector512.Load(src + 4 * ld), Vector512.Load(src + 5 * ld));
        var a6 = Avx512F.UnpackLow(Vector512.Load(src + 6 * ld), Vector512.Load(src + 7 * ld));
        var a7 = Avx512F.UnpackHigh(Vector512.Load(src + 6 * ld), Vector512.Load(src + 7 * ld));
        var a8 = Avx512F.UnpackLow(Vector512.Load(src + 8 * ld), Vector512.Load(src + 9 * ld));
        var a9 = Avx512F.UnpackHigh(Vector512.Load(src + 8 * ld), Vector512.Load(src + 9 * ld));
        var a10 = Avx512F.UnpackLow(Vector512.Load(src + 10 * ld), Vector512.Load(src + 11 * ld));
        var a11 = Avx512F.UnpackHigh(Vector512.Load(src + 10 * ld), Vector512.Load(src + 11 * ld));
        var a12 = Avx512F.UnpackLow(Vector512.Load(src + 12 * ld), Vector512.Load(src + 13 * ld));
        var a13 = Avx512F.UnpackHigh(Vector512.Load(src + 12 * ld), Vector512.Load(src + 13 * ld));
        var a14 = Avx512F.UnpackLow(Vector512.Load(src + 14 * ld), Vector512.Load(src + 15 * ld));
        var a15 = Avx512F.UnpackHigh(Vector512.Load(src + 14 * ld), Vector512.Load(src + 15 * ld));
        // b(4i + m), block q: column 4q + m of rows 4i .. 4i + 3.
        var b0 = Avx512F.Shuffle(a0, a2, 0x44); var b1 = Avx512F.Shuffle(a0, a2, 0xEE);
        var b2 = Avx512F.Shuffle(a1, a3, 0x44); var b3 = Avx512F.Shuffle(a1, a3, 0xEE);
        var b4 = Avx512F.Shuffle(a4, a6, 0x44); var b5 = Avx512F.Shuffle(a4, a6, 0xEE);
        var b6 = Avx512F.Shuffle(a5, a7, 0x44); var b7 = Avx512F.Shuffle(a5, a7, 0xEE);
        var b8 = Avx512F.Shuffle(a8, a10, 0x44); var b9 = Avx512F.Shuffle(a8, a10, 0xEE);
        var b10 = Avx512F.Shuffle(a9, a11, 0x44); var b11 = Avx512F.Shuffle(a9, a11, 0xEE);
        var b12 = Avx512F.Shuffle(a12, a14, 0x44); var b13 = Avx512F.Shuffle(a12, a14, 0xEE);
        var b14 = Avx512F.Shuffle(a13, a15, 0x44); var b15 = Avx512F.Shuffle(a13, a15, 0xEE);
        // c(m) = blocks 0 and 2 of b(m) then of b(4 + m); d(m) blocks 1 and 3; e and f the same of b(8 + m) and b(12 + m).
        var c0 = Avx512F.Shuffle4x128(b0, b4, 0x88); var d0 = Avx512F.Shuffle4x128(b0, b4, 0xDD);
        var c1 = Avx512F.Shuffle4x128(b1, b5, 0x88); var d1 = Avx512F.Shuffle4x128(b1, b5, 0xDD);
        var c2 = Avx512F.Shuffle4x128(b2, b6, 0x88); var d2 = Avx512F.Shuffle4x128(b2, b6, 0xDD);
        var c3 = Avx512F.Shuffle4x128(b3, b7, 0x88); var d3 = Avx512F.Shuffle4x128(b3, b7, 0xDD);
        var e0 = Avx512F.Shuffle4x128(b8, b12, 0x88); var f0 = Avx512F.Shuffle4x128(b8, b12, 0xDD);
        var e1 = Avx512F.Shuffle4x128(b9, b13, 0x88); var f1 = Avx512F.Shuffle4x128(b9, b13, 0xDD);
        var e2 = Avx512F.Shuffle4x128(b10, b14, 0x88); var f2 = Avx512F.Shuffle4x128(b10, b14, 0xDD);
        var e3 = Avx512F.Shuffle4x128(b11, b15, 0x88); var f3 = Avx512F.Shuffle4x128(b11, b15, 0xDD);
        // Column m: block 0 of c(m), then of e(m) (rows 0-7, 8-15); column 8 + m: block 2; 4 + m and 12 + m from d and f.
        Vector512.Store(Avx512F.Shuffle4x128(c0, e0, 0x88), dst);
        Vector512.Store(Avx512F.Shuffle4x128(c1, e1, 0x88), dst + dstLd);
        Vector512.Store(Avx512F.Shuffle4x128(c2, e2, 0x88), dst + 2 * dstLd);
        Vector512.Store(Avx512F.Shuffle4x128(c3, e3, 0x88), dst + 3 * dstLd);
        Vector512.Store(Avx512F.Shuffle4x128(d0, f0, 0x88), dst + 4 * dstLd);
        Vector512.Store(Avx512F.Shuffle4x128(d1, f1, 0x88), dst + 5 * dstLd);
        Vector512.Store(Avx512F.Shuffle4x128(d2, f2, 0x88), dst + 6 * dstLd);
        Vector512.Store(Avx512F.Shuffle4x128(d3, f3, 0x88), dst + 7 * dstLd);
        Vector512.Store(Avx512F.Shuffle4x128(c0, e0, 0xDD), dst + 8 * dstLd);
        Vector512.Store(Avx512F.Shuffle4x128(c1, e1, 0xDD), dst + 9 * dstLd);
        Vector512.Store(Avx512F.Shuffle4x128(c2, e2, 0xDD), dst + 10 * dstLd);
        Vector512.Store(Avx512F.Shuffle4x128(c3, e3, 0xDD), dst + 11 * dstLd);
        Vector512.Store(Avx512F.Shuffle4x128(d0, f0, 0xDD), dst + 12 * dstLd);
        Vector512.Store(Avx512F.Shuffle4x128(d1, f1, 0xDD), dst + 13 * dstLd);
        Vector512.Store(Avx512F.Shuffle4x128(d2, f2, 0xDD), dst + 14 * dstLd);
        Vector512.Store(Avx512F.Shuffle4x128(d3, f3, 0xDD), dst + 15 * dstLd);
    }
}
