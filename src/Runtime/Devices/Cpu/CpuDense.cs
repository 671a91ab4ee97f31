using System;
using System.Runtime.CompilerServices;
using static Strider.Devices.Cpu.CpuMath;
using static Strider.Devices.Cpu.CpuElementwise;

namespace Strider.Devices.Cpu;

/// <summary>Dense layers on the last axis: one GEMM each, split into output tiles over the workers.</summary>
internal static unsafe class CpuDense
{
    internal const int DenseRowTile = 128;
    internal const int DenseColTile = 256;

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
}
