using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Strider.Devices.Cpu;

/// <summary>
/// A register-tiled SGEMM: C[MR x NR] (+)= A-panel x B-panel, where a packed A panel holds MR rows per k
/// (a[k * MR + i]) and a packed B panel NR columns per k (b[k * NR + j]). Callers pack KC-deep blocks so a B panel
/// stays in L1 while the A panels stream from L2.
/// </summary>
internal static unsafe class Gemm
{
    public const int MR = 8;
    public const int NR = 32;
    public const int KC = 256;

    public static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>C (mr x nr, row stride ldc) = or += the product of one packed A panel and one packed B panel over kc.</summary>
    public static void Kernel(int kc, float* a, float* b, float* c, int ldc, int mr, int nr, bool accumulate)
    {
        if (mr == MR && nr == NR)
        {
            Full(kc, a, b, c, ldc, accumulate);
            return;
        }
        float* tile = stackalloc float[MR * NR];
        Full(kc, a, b, tile, NR, false);
        for (int i = 0; i < mr; i++)
        {
            float* row = c + (long)i * ldc;
            float* t = tile + i * NR;
            if (accumulate) for (int j = 0; j < nr; j++) row[j] += t[j];
            else for (int j = 0; j < nr; j++) row[j] = t[j];
        }
    }

    private static void Full(int kc, float* a, float* b, float* c, int ldc, bool accumulate)
    {
        if (Vector512.IsHardwareAccelerated) Full512(kc, a, b, c, ldc, accumulate);
        else for (int r = 0; r < MR; r += 2) Rows256(kc, a, b, c, ldc, accumulate, r);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Full512(int kc, float* a, float* b, float* c, int ldc, bool accumulate)
    {
        // 16 accumulators + 2 B vectors + 1 broadcast fit the 32 zmm registers.
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var av = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51);
            av = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(av, b0, c60); c61 = Vector512.FusedMultiplyAdd(av, b1, c61);
            av = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(av, b0, c70); c71 = Vector512.FusedMultiplyAdd(av, b1, c71);
            a += MR;
            b += NR;
        }
        Store512(c, c00, c01, accumulate); c += ldc;
        Store512(c, c10, c11, accumulate); c += ldc;
        Store512(c, c20, c21, accumulate); c += ldc;
        Store512(c, c30, c31, accumulate); c += ldc;
        Store512(c, c40, c41, accumulate); c += ldc;
        Store512(c, c50, c51, accumulate); c += ldc;
        Store512(c, c60, c61, accumulate); c += ldc;
        Store512(c, c70, c71, accumulate);
    }

    /// <summary>
    /// C[MR x NR] (+)= A x B-panel over kc where A is not packed: A[i, k] = taps[i][lanes[k]], read straight from the
    /// padded conv input (row i of the tile is tap i, column k an output position). Backward weights of a conv with few
    /// output channels uses each A panel once, so packing it (an 8x8 transpose per 8 positions) cost a third of the GEMM.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TapsFull512(int kc, float* q, int* taps, int* lanes, float* b, float* c, int ldc, bool accumulate)
    {
        float* p0 = q + taps[0], p1 = q + taps[1], p2 = q + taps[2], p3 = q + taps[3];
        float* p4 = q + taps[4], p5 = q + taps[5], p6 = q + taps[6], p7 = q + taps[7];
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int k = 0; k < kc; k++)
        {
            int l = lanes[k];
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var av = Vector512.Create(p0[l]); c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(p1[l]); c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(p2[l]); c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(p3[l]); c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(p4[l]); c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(p5[l]); c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51);
            av = Vector512.Create(p6[l]); c60 = Vector512.FusedMultiplyAdd(av, b0, c60); c61 = Vector512.FusedMultiplyAdd(av, b1, c61);
            av = Vector512.Create(p7[l]); c70 = Vector512.FusedMultiplyAdd(av, b0, c70); c71 = Vector512.FusedMultiplyAdd(av, b1, c71);
            b += NR;
        }
        Store512(c, c00, c01, accumulate); c += ldc;
        Store512(c, c10, c11, accumulate); c += ldc;
        Store512(c, c20, c21, accumulate); c += ldc;
        Store512(c, c30, c31, accumulate); c += ldc;
        Store512(c, c40, c41, accumulate); c += ldc;
        Store512(c, c50, c51, accumulate); c += ldc;
        Store512(c, c60, c61, accumulate); c += ldc;
        Store512(c, c70, c71, accumulate);
    }

    /// <summary>
    /// C (rows x cols, row stride ldc) = or += A times the packed B panels over kc, where A is not packed: A[i, k] =
    /// a[i lda + k], rows of contiguous depth (the Winograd weight gradient writes x's transformed tiles so, a channel's
    /// tiles in a vector's lanes). Full tiles read the 8 rows in place; a short tile, or a machine without 512-bit
    /// vectors, packs its rows into one A panel first (the same multiply-adds in the same order either way).
    /// </summary>
    public static void RunStridedA(int rows, int cols, int kc, float* a, long lda, float* packB, float* c, int ldc, bool accumulate)
    {
        float* panel = stackalloc float[MR * KC];
        for (int n0 = 0; n0 < cols; n0 += NR)
        {
            int nr = Math.Min(NR, cols - n0);
            float* bp = packB + (long)n0 * kc;
            for (int m0 = 0; m0 < rows; m0 += MR)
            {
                int mr = Math.Min(MR, rows - m0);
                float* rowsA = a + m0 * lda, cm = c + (long)m0 * ldc + n0;
                if (mr == MR && nr == NR && Vector512.IsHardwareAccelerated)
                {
                    StridedFull512(kc, rowsA, lda, bp, cm, ldc, accumulate);
                    continue;
                }
                for (int k0 = 0; k0 < kc; k0 += KC)
                {
                    int depth = Math.Min(KC, kc - k0);
                    PackA(rowsA + k0, lda, 1, mr, depth, panel);
                    Kernel(depth, panel, bp + (long)k0 * NR, cm, ldc, mr, nr, accumulate || k0 > 0);
                }
            }
        }
    }

    /// <summary><see cref="Full512"/> with A read in place from 8 rows lda apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StridedFull512(int kc, float* a, long lda, float* b, float* c, int ldc, bool accumulate)
    {
        float* p0 = a, p1 = a + lda, p2 = a + 2 * lda, p3 = a + 3 * lda, p4 = a + 4 * lda, p5 = a + 5 * lda, p6 = a + 6 * lda, p7 = a + 7 * lda;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var av = Vector512.Create(p0[k]); c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(p1[k]); c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(p2[k]); c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(p3[k]); c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(p4[k]); c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(p5[k]); c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51);
            av = Vector512.Create(p6[k]); c60 = Vector512.FusedMultiplyAdd(av, b0, c60); c61 = Vector512.FusedMultiplyAdd(av, b1, c61);
            av = Vector512.Create(p7[k]); c70 = Vector512.FusedMultiplyAdd(av, b0, c70); c71 = Vector512.FusedMultiplyAdd(av, b1, c71);
            b += NR;
        }
        Store512(c, c00, c01, accumulate); c += ldc;
        Store512(c, c10, c11, accumulate); c += ldc;
        Store512(c, c20, c21, accumulate); c += ldc;
        Store512(c, c30, c31, accumulate); c += ldc;
        Store512(c, c40, c41, accumulate); c += ldc;
        Store512(c, c50, c51, accumulate); c += ldc;
        Store512(c, c60, c61, accumulate); c += ldc;
        Store512(c, c70, c71, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(float* c, Vector512<float> v0, Vector512<float> v1, bool accumulate)
    {
        if (accumulate)
        {
            v0 += Vector512.Load(c);
            v1 += Vector512.Load(c + 16);
        }
        v0.Store(c);
        v1.Store(c + 16);
    }

    /// <summary>Two rows of the tile with 256-bit vectors (8 accumulators fit the 16 ymm registers of AVX2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows256(int kc, float* a, float* b, float* c, int ldc, bool accumulate, int r)
    {
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
        a += r;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector256.Load(b); var b1 = Vector256.Load(b + 8); var b2 = Vector256.Load(b + 16); var b3 = Vector256.Load(b + 24);
            var av = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(av, b0, c00); c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
            c02 = Vector256.FusedMultiplyAdd(av, b2, c02); c03 = Vector256.FusedMultiplyAdd(av, b3, c03);
            av = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(av, b0, c10); c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
            c12 = Vector256.FusedMultiplyAdd(av, b2, c12); c13 = Vector256.FusedMultiplyAdd(av, b3, c13);
            a += MR;
            b += NR;
        }
        float* row = c + (long)r * ldc;
        Store256(row, c00, c01, c02, c03, accumulate);
        Store256(row + ldc, c10, c11, c12, c13, accumulate);
    }

    private static void Store256(float* c, Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3, bool accumulate)
    {
        if (accumulate)
        {
            v0 += Vector256.Load(c); v1 += Vector256.Load(c + 8); v2 += Vector256.Load(c + 16); v3 += Vector256.Load(c + 24);
        }
        v0.Store(c); v1.Store(c + 8); v2.Store(c + 16); v3.Store(c + 24);
    }

    /// <summary>Packs A[m, k] = src[m * strideM + k * strideK] for m &lt; rows, k &lt; kc into MR-row panels (zero rows past the end).</summary>
    public static void PackA(float* src, long strideM, long strideK, int rows, int kc, float* dst)
    {
        for (int m0 = 0; m0 < rows; m0 += MR)
        {
            int mr = Math.Min(MR, rows - m0);
            for (int k = 0; k < kc; k++)
            {
                float* s = src + m0 * strideM + k * strideK;
                int i = 0;
                for (; i < mr; i++) dst[i] = s[i * strideM];
                for (; i < MR; i++) dst[i] = 0;
                dst += MR;
            }
        }
    }

    /// <summary>Packs B[k, n] = src[k * strideK + n * strideN] for k &lt; kc, n &lt; cols into NR-column panels (zero columns past the end).</summary>
    public static void PackB(float* src, long strideK, long strideN, int kc, int cols, float* dst)
    {
        for (int n0 = 0; n0 < cols; n0 += NR)
        {
            int nr = Math.Min(NR, cols - n0);
            for (int k = 0; k < kc; k++)
            {
                float* s = src + k * strideK + n0 * strideN;
                int j = 0;
                if (strideN == 1)
                {
                    new ReadOnlySpan<float>(s, nr).CopyTo(new Span<float>(dst, nr));
                    j = nr;
                }
                else for (; j < nr; j++) dst[j] = s[j * strideN];
                for (; j < NR; j++) dst[j] = 0;
                dst += NR;
            }
        }
    }

    /// <summary>
    /// C[rows x cols] (+)= A x B over depth, for strided A and B: the whole product on the calling thread, packing into
    /// <paramref name="packA"/> (RoundUp(rows, MR) * KC) and <paramref name="packB"/> (RoundUp(cols, NR) * KC).
    /// </summary>
    public static void Multiply(int rows, int cols, int depth,
        float* a, long aM, long aK, float* b, long bK, long bN, float* c, int ldc, bool accumulate, float* packA, float* packB)
    {
        if (depth == 0)
        {
            if (!accumulate)
                for (int i = 0; i < rows; i++) new Span<float>(c + (long)i * ldc, cols).Clear();
            return;
        }
        for (int k0 = 0; k0 < depth; k0 += KC)
        {
            int kc = Math.Min(KC, depth - k0);
            PackA(a + k0 * aK, aM, aK, rows, kc, packA);
            PackB(b + k0 * bK, bK, bN, kc, cols, packB);
            RunPacked(rows, cols, kc, packA, packB, c, ldc, accumulate || k0 > 0);
        }
    }

    /// <summary>Multiplies packed blocks: every B panel against every A panel (B panel outermost, so it stays in L1).</summary>
    public static void RunPacked(int rows, int cols, int kc, float* packA, float* packB, float* c, int ldc, bool accumulate)
    {
        for (int n0 = 0; n0 < cols; n0 += NR)
        {
            int nr = Math.Min(NR, cols - n0);
            float* bp = packB + (long)n0 * kc;
            for (int m0 = 0; m0 < rows; m0 += MR)
                Kernel(kc, packA + (long)m0 * kc, bp, c + (long)m0 * ldc + n0, ldc, Math.Min(MR, rows - m0), nr, accumulate);
        }
    }
}
