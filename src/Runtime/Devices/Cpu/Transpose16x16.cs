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
        Vector512<float> r0 = Vector512.Load(src), r1 = Vector512.Load(src + ld), r2 = Vector512.Load(src + 2 * ld), r3 = Vector512.Load(src + 3 * ld);
        Vector512<float> r4 = Vector512.Load(src + 4 * ld), r5 = Vector512.Load(src + 5 * ld), r6 = Vector512.Load(src + 6 * ld), r7 = Vector512.Load(src + 7 * ld);
        Vector512<float> r8 = Vector512.Load(src + 8 * ld), r9 = Vector512.Load(src + 9 * ld), r10 = Vector512.Load(src + 10 * ld), r11 = Vector512.Load(src + 11 * ld);
        Vector512<float> r12 = Vector512.Load(src + 12 * ld), r13 = Vector512.Load(src + 13 * ld), r14 = Vector512.Load(src + 14 * ld), r15 = Vector512.Load(src + 15 * ld);
        // Per 128-bit block q: a(2i) = (r2i[4q], r2i+1[4q], r2i[4q+1], r2i+1[4q+1]), a(2i+1) the same of 4q+2 and 4q+3.
        var a0 = Avx512F.UnpackLow(r0, r1); var a1 = Avx512F.UnpackHigh(r0, r1);
        var a2 = Avx512F.UnpackLow(r2, r3); var a3 = Avx512F.UnpackHigh(r2, r3);
        var a4 = Avx512F.UnpackLow(r4, r5); var a5 = Avx512F.UnpackHigh(r4, r5);
        var a6 = Avx512F.UnpackLow(r6, r7); var a7 = Avx512F.UnpackHigh(r6, r7);
        var a8 = Avx512F.UnpackLow(r8, r9); var a9 = Avx512F.UnpackHigh(r8, r9);
        var a10 = Avx512F.UnpackLow(r10, r11); var a11 = Avx512F.UnpackHigh(r10, r11);
        var a12 = Avx512F.UnpackLow(r12, r13); var a13 = Avx512F.UnpackHigh(r12, r13);
        var a14 = Avx512F.UnpackLow(r14, r15); var a15 = Avx512F.UnpackHigh(r14, r15);
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
