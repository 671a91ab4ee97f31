using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Strider.Devices.Activations;
using static Strider.Devices.Cpu.CpuElementwise;

namespace Strider.Devices.Cpu;

/// <summary>
/// A <see cref="ConvEpilogue"/> resolved for the CPU kernels once per call: the residual's pointer and the range loop
/// of the activation's operation struct (<see cref="ActivationOps"/>), so a work item applies both to the output rows
/// it just wrote, while they are in cache, with one call per row and no per-value dispatch. The add is
/// <see cref="CpuElementwise.AddRange"/>'s and the activation its own struct's SIMD and scalar forms, so the values
/// are the separate ops' bit for bit, whatever the rows and the thread count.
/// </summary>
internal unsafe struct CpuEpilogue
{
    /// <summary>The residual's values at the output's offsets (null: none).</summary>
    public float* Residual;

    /// <summary>The output's first value: a row's offset into <see cref="Residual"/> is its offset from here.</summary>
    public float* Y;

    /// <summary>
    /// (first row, its residual row or null, rows, stride between rows, values per row, p0, p1) in place; null when the
    /// epilogue applies nothing. One call covers a work item's block of rows: a 14x14 conv at batch 1 stores rows of 32.
    /// </summary>
    public delegate*<float*, float*, int, long, long, float, float, void> Rows;

    public float P0, P1;

    /// <summary>Whether there is anything to apply.</summary>
    public readonly bool Active => Rows != null;

    /// <summary>
    /// Resolves <paramref name="epilogue"/> for an output <paramref name="y"/> of <paramref name="count"/> values
    /// (checks the residual's size and device); <c>default</c> when it applies nothing.
    /// </summary>
    public static CpuEpilogue Of(in ConvEpilogue epilogue, float* y, long count)
    {
        if (epilogue.IsNone) return default;
        var e = new CpuEpilogue { Y = y, P0 = epilogue.P0, P1 = epilogue.P1 };
        // The residual is only read: the read pointer leaves its write version alone (a fold or packing keyed on it stays valid).
        if (epilogue.Residual is { } residual) e.Residual = PackedConvWeights.ReadOnly(residual, count, "residual");
        if (epilogue.Activation is { } f)
        {
            var rows = new RowsLoop();
            ActivationOps.Accept(f, ref rows);
            e.Rows = rows.Rows;
        }
        else e.Rows = &AddRows;
        return e;
    }

    /// <summary>Applies the epilogue to <paramref name="count"/> output values from <paramref name="y"/> on.</summary>
    public readonly void Apply(float* y, long count) => ApplyRows(y, 1, count, count);

    /// <summary>Applies it to <paramref name="rows"/> rows of <paramref name="count"/> values, <paramref name="stride"/> apart (one output channel each).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void ApplyRows(float* y, int rows, long stride, long count) =>
        Rows(y, Residual == null ? null : Residual + (y - Y), rows, stride, count, P0, P1);

    /// <summary>
    /// Asks for the residual rows <see cref="ApplyRows"/> will read into L2 before the GEMM that precedes it: short
    /// strided row pieces read cold were latency-bound (a 1x1 conv with a residual ran 1.26x slower fused than as a
    /// separate Add, which streams the residual in one run); prefetched, they arrive while the GEMM computes.
    /// </summary>
    public readonly void Prefetch(float* y, int rows, long stride, long count)
    {
        if (Residual == null || !Sse.IsSupported) return;
        float* r = Residual + (y - Y);
        for (int k = 0; k < rows; k++, r += stride)
            for (long i = 0; i < count; i += 16) Sse.Prefetch1(r + i);
    }

    /// <summary>The whole output in one parallel pass (kernels that do not apply it per item yet).</summary>
    public readonly void ApplyAll(CpuWorkspace ws, long count)
    {
        if (!Active) return;
        var self = this;
        var elem = new ElementArgs { A = (float*)Unsafe.AsPointer(ref self) };
        RunRanges(ws, ref elem, count, &AllRange);
    }

    private static void AllRange(in ElementArgs e, long i0, long i1)
    {
        ref readonly CpuEpilogue epilogue = ref *(CpuEpilogue*)e.A;
        epilogue.Apply(epilogue.Y + i0, i1 - i0);
    }

    /// <summary>
    /// y[b, c, i] += bias[c] (when given), then the epilogue, in one parallel pass over [n, channels, inner] (for a
    /// kernel that applies neither per item: one pass over memory instead of the bias's, the add's and the activation's).
    /// </summary>
    public static void ApplyWithBias(CpuWorkspace ws, int n, int channels, int inner, float* y, float* bias, in CpuEpilogue epilogue)
    {
        long count = (long)n * channels * inner;
        if (count == 0 || (bias == null && !epilogue.Active)) return;
        var self = epilogue;
        var elem = new ElementArgs { A = bias, B = y, E = (float*)Unsafe.AsPointer(ref self), Channels = channels, Inner = inner };
        RunRanges(ws, ref elem, count, &BiasRange);
    }

    /// <summary>Values [i0, i1) of <see cref="ApplyWithBias"/>: per channel row piece, the bias's add, then the epilogue.</summary>
    private static void BiasRange(in ElementArgs e, long i0, long i1)
    {
        ref readonly CpuEpilogue epilogue = ref *(CpuEpilogue*)e.E;
        for (long i = i0; i < i1;)
        {
            long row = i / e.Inner, end = Math.Min(i1, (row + 1) * e.Inner);
            if (e.A != null) CpuMath.AddScalar(e.B + i, e.B + i, (int)(end - i), e.A[row % e.Channels]);
            if (epilogue.Active) epilogue.Apply(e.B + i, end - i);
            i = end;
        }
    }

    /// <summary>The rows loop of the activation visited.</summary>
    private struct RowsLoop : IActivationVisitor
    {
        public delegate*<float*, float*, int, long, long, float, float, void> Rows;

        public void Visit<TActivation>() where TActivation : struct, IActivation => Rows = &ScalarRows<TActivation>;

        public void VisitVector<TActivation>() where TActivation : struct, IVectorActivation => Rows = &VectorRows<TActivation>;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddRows(float* y, float* r, int rows, long stride, long count, float p0, float p1)
    {
        for (int k = 0; k < rows; k++, y += stride, r += stride)
        {
            long i = 0;
            if (Vector256.IsHardwareAccelerated)
                for (; i + 8 <= count; i += 8) (Vector256.Load(y + i) + Vector256.Load(r + i)).Store(y + i);
            for (; i < count; i++) y[i] += r[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScalarRows<TActivation>(float* y, float* r, int rows, long stride, long count, float p0, float p1) where TActivation : struct, IActivation
    {
        for (int k = 0; k < rows; k++, y += stride)
        {
            if (r == null)
                for (long i = 0; i < count; i++) y[i] = default(TActivation).Forward(y[i], p0, p1);
            else
            {
                for (long i = 0; i < count; i++) y[i] = default(TActivation).Forward(y[i] + r[i], p0, p1);
                r += stride;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void VectorRows<TActivation>(float* y, float* r, int rows, long stride, long count, float p0, float p1) where TActivation : struct, IVectorActivation
    {
        bool vector = Vector256.IsHardwareAccelerated;
        for (int k = 0; k < rows; k++, y += stride)
        {
            long i = 0;
            if (r == null)
            {
                if (vector)
                    for (; i + 8 <= count; i += 8) default(TActivation).Forward(Vector256.Load(y + i)).Store(y + i);
                for (; i < count; i++) y[i] = default(TActivation).Forward(y[i], p0, p1);
                continue;
            }
            if (vector)
                for (; i + 8 <= count; i += 8) default(TActivation).Forward(Vector256.Load(y + i) + Vector256.Load(r + i)).Store(y + i);
            for (; i < count; i++) y[i] = default(TActivation).Forward(y[i] + r[i], p0, p1);
            r += stride;
        }
    }
}
