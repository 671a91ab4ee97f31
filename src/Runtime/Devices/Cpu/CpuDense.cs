using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static Strider.Devices.Cpu.CpuMath;
using static Strider.Devices.Cpu.CpuElementwise;

namespace Strider.Devices.Cpu;

/// <summary>
/// Dense layers on the last axis: one GEMM each, split into output tiles over the workers; a forward of at most
/// <see cref="GemvMaxRows"/> rows (a classifier at batch 1) as matrix-vector products instead.
/// </summary>
internal static unsafe class CpuDense
{
    internal const int DenseRowTile = 128;
    internal const int DenseColTile = 256;

    /// <summary>
    /// Most rows the forward runs as matrix-vector products, reading each weight row straight from w (the GEMM packs
    /// the whole weight matrix per call, which at one row costs more than the products).
    /// </summary>
    internal const int GemvMaxRows = 4;

    /// <summary>Output features of one matrix-vector work item (in fours: four weight rows share each x load).</summary>
    private const int GemvOutputs = 16;

    private struct GemvArgs
    {
        public int Rows, In, Out;
        public float* X, W, Bias, Y;
    }

    internal struct GemmArgs
    {
        public int Rows, Cols, Depth, RowTiles, ColTiles;
        public float* A, B, C;
        public long AM, AK, BK, BN;
        public bool Accumulate;
    }

    /// <summary>C[rows x cols] (+)= A x B with A[m, k] = a[m aM + k aK], B[k, n] = b[k bK + n bN]; C is row-major with row stride cols.</summary>
    private static void ParallelGemm(CpuWorkspace ws, int rows, int cols, int depth, float* a, long aM, long aK, float* b, long bK, long bN, float* c, bool accumulate)
    {
        var args = new GemmArgs
        {
            Rows = rows, Cols = cols, Depth = depth, A = a, B = b, C = c, AM = aM, AK = aK, BK = bK, BN = bN, Accumulate = accumulate,
            RowTiles = (rows + DenseRowTile - 1) / DenseRowTile, ColTiles = (cols + DenseColTile - 1) / DenseColTile,
        };
        ws.Run(&args, args.RowTiles * args.ColTiles, &GemmItem);
    }

    internal static void GemmItem(object state, void* args, int item, int worker)
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly GemmArgs g = ref *(GemmArgs*)args;
        int m0 = item / g.ColTiles * DenseRowTile, n0 = item % g.ColTiles * DenseColTile;
        int rows = Math.Min(DenseRowTile, g.Rows - m0), cols = Math.Min(DenseColTile, g.Cols - n0);
        float* packA = Grow(ws.WorkspaceA, worker, (long)DenseRowTile * Gemm.KC);
        float* packB = Grow(ws.WorkspaceB, worker, (long)DenseColTile * Gemm.KC);
        Gemm.Multiply(rows, cols, g.Depth, g.A + m0 * g.AM, g.AM, g.AK, g.B + n0 * g.BN, g.BK, g.BN,
            g.C + (long)m0 * g.Cols + n0, g.Cols, g.Accumulate, packA, packB);
    }

    internal static void DenseForward(CpuWorkspace ws, int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y)
    {
        float* px = P(x, (long)rows * inFeatures, nameof(x)), pw = P(w, (long)outFeatures * inFeatures, nameof(w)), py = P(y, (long)rows * outFeatures, nameof(y));
        if (rows <= GemvMaxRows && Vector256.IsHardwareAccelerated)
        {
            var gemv = new GemvArgs { Rows = rows, In = inFeatures, Out = outFeatures, X = px, W = pw, Y = py, Bias = bias is null ? null : P(bias, outFeatures, nameof(bias)) };
            if (rows > 0) ws.Run(&gemv, (outFeatures + GemvOutputs - 1) / GemvOutputs, &GemvItem);
            return;
        }
        // y[r, o] = sum_i x[r, i] w[o, i]: B[i, o] = w[o inFeatures + i].
        ParallelGemm(ws, rows, outFeatures, inFeatures, px, inFeatures, 1, pw, 1, inFeatures, py, accumulate: false);
        if (bias is not null)
        {
            float* pb = P(bias, outFeatures, nameof(bias));
            for (long r = 0; r < rows; r++)
            {
                float* row = py + r * outFeatures;
                for (int o = 0; o < outFeatures; o++) row[o] += pb[o];
            }
        }
    }

    internal static void DenseBackwardData(CpuWorkspace ws, int rows, int inFeatures, int outFeatures, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate)
    {
        float* pdy = P(dy, (long)rows * outFeatures, nameof(dy)), pw = P(w, (long)outFeatures * inFeatures, nameof(w)), pdx = P(dx, (long)rows * inFeatures, nameof(dx));
        // dx[r, i] = sum_o dy[r, o] w[o, i].
        ParallelGemm(ws, rows, inFeatures, outFeatures, pdy, outFeatures, 1, pw, inFeatures, 1, pdx, accumulate);
    }

    internal static void DenseBackwardWeights(CpuWorkspace ws, int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias)
    {
        float* px = P(x, (long)rows * inFeatures, nameof(x)), pdy = P(dy, (long)rows * outFeatures, nameof(dy)), pdw = P(dw, (long)outFeatures * inFeatures, nameof(dw));
        // dw[o, i] += sum_r dy[r, o] x[r, i]: A[o, r] = dy[r outFeatures + o].
        ParallelGemm(ws, outFeatures, inFeatures, rows, pdy, 1, outFeatures, px, inFeatures, 1, pdw, accumulate: true);
        if (dbias is not null) BiasBackward(ws, rows, outFeatures, 1, dy, dbias);
    }

    /// <summary>y[r, o] = x[r] . w[o] (+ bias[o]) for the item's output features and every row, four weight rows at a time.</summary>
    private static void GemvItem(object state, void* args, int item, int worker)
    {
        ref readonly GemvArgs a = ref *(GemvArgs*)args;
        int o = item * GemvOutputs, end = Math.Min(o + GemvOutputs, a.Out), n = a.In;
        for (; o < end; o += 4)
        {
            float* w0 = a.W + (long)o * n;
            for (int r = 0; r < a.Rows; r++)
            {
                float* x = a.X + (long)r * n;
                float* y = a.Y + (long)r * a.Out + o;
                if (o + 4 <= end)
                {
                    var (d0, d1, d2, d3) = Dot4(x, w0, n);
                    y[0] = d0;
                    y[1] = d1;
                    y[2] = d2;
                    y[3] = d3;
                }
                else for (int j = 0; j < end - o; j++) y[j] = Dot(x, w0 + (long)j * n, n);
                if (a.Bias != null) for (int j = 0; j < Math.Min(4, end - o); j++) y[j] += a.Bias[o + j];
            }
        }
    }

    /// <summary>x . w over n: two 8-lane partial sums (even and odd vectors), their lanes summed, then the leftover values in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot(float* x, float* w, int n)
    {
        Vector256<float> s0 = default, s1 = default;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            s0 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i), Vector256.Load(w + i), s0);
            s1 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i + 8), Vector256.Load(w + i + 8), s1);
        }
        if (i + 8 <= n)
        {
            s0 = Vector256.FusedMultiplyAdd(Vector256.Load(x + i), Vector256.Load(w + i), s0);
            i += 8;
        }
        float sum = Vector256.Sum(s0 + s1);
        for (; i < n; i++) sum += x[i] * w[i];
        return sum;
    }

    /// <summary><see cref="Dot"/> of x with four consecutive weight rows, sharing each load of x (the same sums, in the same order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float, float, float, float) Dot4(float* x, float* w, int n)
    {
        float* w1 = w + n, w2 = w1 + n, w3 = w2 + n;
        Vector256<float> a0 = default, a1 = default, b0 = default, b1 = default, c0 = default, c1 = default, d0 = default, d1 = default;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var xl = Vector256.Load(x + i);
            var xh = Vector256.Load(x + i + 8);
            a0 = Vector256.FusedMultiplyAdd(xl, Vector256.Load(w + i), a0);
            a1 = Vector256.FusedMultiplyAdd(xh, Vector256.Load(w + i + 8), a1);
            b0 = Vector256.FusedMultiplyAdd(xl, Vector256.Load(w1 + i), b0);
            b1 = Vector256.FusedMultiplyAdd(xh, Vector256.Load(w1 + i + 8), b1);
            c0 = Vector256.FusedMultiplyAdd(xl, Vector256.Load(w2 + i), c0);
            c1 = Vector256.FusedMultiplyAdd(xh, Vector256.Load(w2 + i + 8), c1);
            d0 = Vector256.FusedMultiplyAdd(xl, Vector256.Load(w3 + i), d0);
            d1 = Vector256.FusedMultiplyAdd(xh, Vector256.Load(w3 + i + 8), d1);
        }
        if (i + 8 <= n)
        {
            var xl = Vector256.Load(x + i);
            a0 = Vector256.FusedMultiplyAdd(xl, Vector256.Load(w + i), a0);
            b0 = Vector256.FusedMultiplyAdd(xl, Vector256.Load(w1 + i), b0);
            c0 = Vector256.FusedMultiplyAdd(xl, Vector256.Load(w2 + i), c0);
            d0 = Vector256.FusedMultiplyAdd(xl, Vector256.Load(w3 + i), d0);
            i += 8;
        }
        float sa = Vector256.Sum(a0 + a1), sb = Vector256.Sum(b0 + b1), sc = Vector256.Sum(c0 + c1), sd = Vector256.Sum(d0 + d1);
        for (; i < n; i++)
        {
            sa += x[i] * w[i];
            sb += x[i] * w1[i];
            sc += x[i] * w2[i];
            sd += x[i] * w3[i];
        }
        return (sa, sb, sc, sd);
    }
}
