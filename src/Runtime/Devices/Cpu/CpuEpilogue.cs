using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
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

    /// <summary>(row, residual row or null, count, p0, p1) in place; null when the epilogue applies nothing.</summary>
    public delegate*<float*, float*, long, float, float, void> Row;

    public float P0, P1;

    /// <summary>Whether there is anything to apply.</summary>
    public readonly bool Active => Row != null;

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
            var rows = new RowLoop();
            ActivationOps.Accept(f, ref rows);
            e.Row = rows.Row;
        }
        else e.Row = &AddRow;
        return e;
    }

    /// <summary>Applies the epilogue to <paramref name="count"/> output values from <paramref name="y"/> on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Apply(float* y, long count) => Row(y, Residual == null ? null : Residual + (y - Y), count, P0, P1);

    /// <summary>Applies it to <paramref name="rows"/> rows of <paramref name="count"/> values, <paramref name="stride"/> apart (one output channel each).</summary>
    public readonly void ApplyRows(float* y, int rows, long stride, long count)
    {
        for (int k = 0; k < rows; k++) Apply(y + k * stride, count);
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

    /// <summary>The row loop of the activation visited.</summary>
    private struct RowLoop : IActivationVisitor
    {
        public delegate*<float*, float*, long, float, float, void> Row;

        public void Visit<TActivation>() where TActivation : struct, IActivation => Row = &ScalarRow<TActivation>;

        public void VisitVector<TActivation>() where TActivation : struct, IVectorActivation => Row = &VectorRow<TActivation>;
    }

    private static void AddRow(float* y, float* r, long count, float p0, float p1)
    {
        long i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= count; i += 8) (Vector256.Load(y + i) + Vector256.Load(r + i)).Store(y + i);
        for (; i < count; i++) y[i] += r[i];
    }

    private static void ScalarRow<TActivation>(float* y, float* r, long count, float p0, float p1) where TActivation : struct, IActivation
    {
        if (r == null)
            for (long i = 0; i < count; i++) y[i] = default(TActivation).Forward(y[i], p0, p1);
        else
            for (long i = 0; i < count; i++) y[i] = default(TActivation).Forward(y[i] + r[i], p0, p1);
    }

    private static void VectorRow<TActivation>(float* y, float* r, long count, float p0, float p1) where TActivation : struct, IVectorActivation
    {
        long i = 0;
        if (r == null)
        {
            if (Vector256.IsHardwareAccelerated)
                for (; i + 8 <= count; i += 8) default(TActivation).Forward(Vector256.Load(y + i)).Store(y + i);
            for (; i < count; i++) y[i] = default(TActivation).Forward(y[i], p0, p1);
            return;
        }
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= count; i += 8) default(TActivation).Forward(Vector256.Load(y + i) + Vector256.Load(r + i)).Store(y + i);
        for (; i < count; i++) y[i] = default(TActivation).Forward(y[i] + r[i], p0, p1);
    }
}
