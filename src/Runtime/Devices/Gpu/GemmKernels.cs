using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Strider.Devices.Gpu;

/// <summary>
/// Where one GEMM C[M, N] = A[M, K] B[K, N] reads its operands and puts its results, for problem <c>z</c> of a launch
/// (a convolution group). Convolutions are implicit GEMMs: A and B gather from the tensors (im2col without the copy),
/// so each op family is one operands struct over <see cref="GemmKernels.Tiled{TOperands}"/>.
/// </summary>
internal interface IGemmOperands
{
    /// <summary>True where consecutive k of one A row are (nearly) consecutive in memory; false where consecutive m are. Picks the coalesced tile load.</summary>
    bool AAlongK { get; }

    /// <summary>True where consecutive k of one B column are (nearly) consecutive in memory; false where consecutive n are.</summary>
    bool BAlongK { get; }

    float A(int z, int m, int k);

    float B(int z, int k, int n);

    /// <summary>Writes (or adds, or biases) the finished sum of C[m, n].</summary>
    void Store(int z, int m, int n, float sum);
}

/// <summary>
/// A GEMM launch's sizes: <see cref="M"/> x <see cref="N"/> results per problem, <see cref="K"/> products each, and the
/// tile depth <see cref="Depth"/> (k values staged in shared memory per barrier).
/// </summary>
internal readonly record struct GemmShape(int M, int N, int K, int Depth);

/// <summary>Four floats a thread keeps in registers: one row of its 4x4 block of results, or a fragment of a tile.</summary>
internal struct Quad
{
    public float V0, V1, V2, V3;

    public Quad(float v0, float v1, float v2, float v3)
    {
        V0 = v0;
        V1 = v1;
        V2 = v2;
        V3 = v3;
    }

    /// <summary>This row plus a times the row b.</summary>
    public readonly Quad Fma(float a, Quad b) => new(V0 + a * b.V0, V1 + a * b.V1, V2 + a * b.V2, V3 + a * b.V3);
}

/// <summary>
/// The tiled GEMM every convolution and dense op runs on. A group of GX x GY threads owns a (4 GY) x (4 GX) block of C;
/// each thread accumulates a 4x4 register block (rows ty + i GY, columns tx + j GX, so a warp's shared-memory reads
/// and global stores are consecutive). Per step, the group stages a Depth x BM slice of A and a Depth x BN slice of B in
/// shared memory (dynamic, sized by the launch, <see cref="TileLoader"/>), consecutive threads loading consecutive
/// addresses along each operand's contiguous axis (tile rows are padded by one float, so loads along k do not all hit
/// one bank); rows and columns past the edge load as zero and the last step is only as deep as the k left, so no size
/// needs to be a tile multiple. Each result is one thread's sum in k order: deterministic, no atomics. 8x8 register
/// blocks, and prefetching the next step into registers, were slower on an H200 with ILGPU 1.5.3 (docs/benchmarks.md,
/// "GPU").
/// </summary>
internal static class GemmKernels
{
    /// <summary>Register block per thread along each axis.</summary>
    public const int Block = 4;

    /// <summary>Grid (x: column blocks, y: row blocks, z: problems) with groups of (GX, GY) threads.</summary>
    public static void Tiled<TOperands>(GemmShape s, TOperands ops) where TOperands : struct, IGemmOperands
    {
        int gx = Group.DimX, gy = Group.DimY, tx = Group.IdxX, ty = Group.IdxY;
        var t = new TileLoader(s, ops.AAlongK, ops.BAlongK, gx * Block, gy * Block);
        Quad c0 = default, c1 = default, c2 = default, c3 = default;
        for (int k0 = 0; k0 < s.K; k0 += s.Depth)
        {
            int steps = t.Load(ops, k0);
            for (int kk = 0; kk < steps; kk++)
            {
                int ra = kk * t.PitchA + ty, rb = kk * t.PitchB + tx;
                var b = new Quad(t.TileB[rb], t.TileB[rb + gx], t.TileB[rb + 2 * gx], t.TileB[rb + 3 * gx]);
                c0 = c0.Fma(t.TileA[ra], b);
                c1 = c1.Fma(t.TileA[ra + gy], b);
                c2 = c2.Fma(t.TileA[ra + 2 * gy], b);
                c3 = c3.Fma(t.TileA[ra + 3 * gy], b);
            }
            Group.Barrier();
        }
        int row = t.M0 + ty, column = t.N0 + tx;
        StoreRow(ops, s, t.Z, row, column, gx, c0);
        StoreRow(ops, s, t.Z, row + gy, column, gx, c1);
        StoreRow(ops, s, t.Z, row + 2 * gy, column, gx, c2);
        StoreRow(ops, s, t.Z, row + 3 * gy, column, gx, c3);
    }

    private static void StoreRow<TOperands>(TOperands ops, GemmShape s, int z, int m, int n, int step, Quad c) where TOperands : struct, IGemmOperands
    {
        if (m >= s.M) return;
        if (n < s.N) ops.Store(z, m, n, c.V0);
        if (n + step < s.N) ops.Store(z, m, n + step, c.V1);
        if (n + 2 * step < s.N) ops.Store(z, m, n + 2 * step, c.V2);
        if (n + 3 * step < s.N) ops.Store(z, m, n + 3 * step, c.V3);
    }
}

/// <summary>
/// One group's staging of the A and B slices in shared memory, step by step. A thread's share of a slice is every
/// (threads)-th element; its first element and the stride between its elements, as (row, k) offsets, are divided out
/// once here, so each load costs additions instead of two integer divisions.
/// </summary>
internal struct TileLoader
{
    public readonly ArrayView<float> TileA, TileB;
    public readonly int PitchA, PitchB, M0, N0, Z;
    private readonly GemmShape _s;
    private readonly int _bm, _bn;
    // Along k (the tile's rows of depth): first k and row of this thread, and the k and row steps between its elements.
    private readonly int _aK, _aRow, _aStepK, _aStepRow, _bK, _bColumn, _bStepK, _bStepColumn;

    public TileLoader(GemmShape s, bool aAlongK, bool bAlongK, int bn, int bm)
    {
        _s = s;
        _bm = bm;
        _bn = bn;
        int threads = Group.DimX * Group.DimY, tid = Group.IdxY * Group.DimX + Group.IdxX, depth = s.Depth;
        M0 = Grid.IdxY * bm;
        N0 = Grid.IdxX * bn;
        Z = Grid.IdxZ;
        PitchA = bm + 1;
        PitchB = bn + 1;
        var shared = SharedMemory.GetDynamic<float>();
        TileA = shared.SubView(0, depth * PitchA);
        TileB = shared.SubView(depth * PitchA, depth * PitchB);
        // Along k: element e is (row e / depth, k e % depth); across: (k e / width, row e % width).
        (_aK, _aRow, _aStepK, _aStepRow) = aAlongK ? (tid % depth, tid / depth, threads % depth, threads / depth) : (tid / bm, tid % bm, threads / bm, threads % bm);
        (_bK, _bColumn, _bStepK, _bStepColumn) = bAlongK ? (tid % depth, tid / depth, threads % depth, threads / depth) : (tid / bn, tid % bn, threads / bn, threads % bn);
    }

    /// <summary>Stages the slices at k0 (after a barrier, ready to read); returns how many k the step holds.</summary>
    public readonly int Load<TOperands>(TOperands ops, int k0) where TOperands : struct, IGemmOperands
    {
        // The last step may be shallower: load and multiply only the k values that exist.
        int steps = XMath.Min(_s.Depth, _s.K - k0);
        int k = _aK, row = _aRow;
        if (ops.AAlongK)
            for (; row < _bm; Advance(ref k, ref row, _aStepK, _aStepRow, _s.Depth))
            {
                if (k < steps) TileA[k * PitchA + row] = M0 + row < _s.M ? ops.A(Z, M0 + row, k0 + k) : 0f;
            }
        else
            for (; k < steps; Advance(ref row, ref k, _aStepRow, _aStepK, _bm))
                TileA[k * PitchA + row] = M0 + row < _s.M ? ops.A(Z, M0 + row, k0 + k) : 0f;
        int kb = _bK, column = _bColumn;
        if (ops.BAlongK)
            for (; column < _bn; Advance(ref kb, ref column, _bStepK, _bStepColumn, _s.Depth))
            {
                if (kb < steps) TileB[kb * PitchB + column] = N0 + column < _s.N ? ops.B(Z, k0 + kb, N0 + column) : 0f;
            }
        else
            for (; kb < steps; Advance(ref column, ref kb, _bStepColumn, _bStepK, _bn))
                TileB[kb * PitchB + column] = N0 + column < _s.N ? ops.B(Z, k0 + kb, N0 + column) : 0f;
        Group.Barrier();
        return steps;
    }

    /// <summary>(minor, major) += (stepMinor, stepMajor) with minor kept below width, carrying into major.</summary>
    private static void Advance(ref int minor, ref int major, int stepMinor, int stepMajor, int width)
    {
        minor += stepMinor;
        major += stepMajor;
        if (minor >= width)
        {
            minor -= width;
            major++;
        }
    }
}

/// <summary>
/// How the tiled GEMM is launched on one accelerator: <see cref="GroupX"/> x <see cref="GroupY"/> threads per group
/// (each with a 4x4 register block) and <see cref="Depth"/> k values per shared-memory step.
/// </summary>
/// <param name="GroupX">Threads per group along the result's columns.</param>
/// <param name="GroupY">Threads per group along the result's rows.</param>
/// <param name="Depth">k values staged in shared memory between two barriers.</param>
/// <param name="SplitKGroups">
/// A convolution weight gradient with fewer groups than this (few weights, many positions) splits its k (the positions)
/// into slices summed afterwards in a fixed order, until it has about this many; 0 never splits.
/// </param>
public readonly record struct GemmTiling(int GroupX, int GroupY, int Depth, int SplitKGroups = 0)
{
    /// <summary>
    /// GPUs: 16 x 16 threads, 64 x 64 results per group, 32-deep steps (16.3 KiB of shared memory); weight gradients
    /// split k below 264 groups (two per SM of an H100/H200).
    /// Chosen by tools/gpu/tune.sh on an H200 (docs/benchmarks.md, "GPU").
    /// </summary>
    public static GemmTiling Gpu => new(16, 16, 32, 264);

    /// <summary>
    /// ILGPU's CPU simulator: it runs a group's threads as OS threads meeting at every barrier (milliseconds each on a
    /// busy machine), so one thread per group with deep steps keeps tests fast; the kernel is the same.
    /// </summary>
    public static GemmTiling Simulator => new(1, 1, 256);

    internal int RowsPerGroup => GroupY * GemmKernels.Block;

    internal int ColumnsPerGroup => GroupX * GemmKernels.Block;

    /// <summary>Both tiles, each row padded by one float.</summary>
    internal long SharedFloats => (long)Depth * (RowsPerGroup + 1 + ColumnsPerGroup + 1);

    internal KernelConfig Launch(int m, int n, int problems) => new(
        new Index3D((n + ColumnsPerGroup - 1) / ColumnsPerGroup, (m + RowsPerGroup - 1) / RowsPerGroup, problems),
        new Index3D(GroupX, GroupY, 1),
        SharedMemoryConfig.RequestDynamic<float>((int)SharedFloats));
}
