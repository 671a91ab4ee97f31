using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Strider.Devices.Cpu;

/// <summary>The 8x8 float transpose (AVX) that the conv kernels' packing, tile stores and weight gradient share.</summary>
internal static unsafe class Transpose8x8
{
    /// <summary>Replaces the rows r0 .. r7 of an 8x8 block by its columns: afterwards r_j holds column j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void InPlace(ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2, ref Vector256<float> r3,
        ref Vector256<float> r4, ref Vector256<float> r5, ref Vector256<float> r6, ref Vector256<float> r7)
    {
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var v0 = Avx.Shuffle(t0, t2, 0x44); var v1 = Avx.Shuffle(t0, t2, 0xEE);
        var v2 = Avx.Shuffle(t1, t3, 0x44); var v3 = Avx.Shuffle(t1, t3, 0xEE);
        var v4 = Avx.Shuffle(t4, t6, 0x44); var v5 = Avx.Shuffle(t4, t6, 0xEE);
        var v6 = Avx.Shuffle(t5, t7, 0x44); var v7 = Avx.Shuffle(t5, t7, 0xEE);
        r0 = Avx.Permute2x128(v0, v4, 0x20); r1 = Avx.Permute2x128(v1, v5, 0x20);
        r2 = Avx.Permute2x128(v2, v6, 0x20); r3 = Avx.Permute2x128(v3, v7, 0x20);
        r4 = Avx.Permute2x128(v0, v4, 0x31); r5 = Avx.Permute2x128(v1, v5, 0x31);
        r6 = Avx.Permute2x128(v2, v6, 0x31); r7 = Avx.Permute2x128(v3, v7, 0x31);
    }

    /// <summary>Stores the transpose of the 8x8 block whose rows are r0 .. r7: column j of the block at dst + j ld.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, float* dst, long ld)
    {
        InPlace(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        r0.Store(dst); r1.Store(dst + ld); r2.Store(dst + 2 * ld); r3.Store(dst + 3 * ld);
        r4.Store(dst + 4 * ld); r5.Store(dst + 5 * ld); r6.Store(dst + 6 * ld); r7.Store(dst + 7 * ld);
    }
}
