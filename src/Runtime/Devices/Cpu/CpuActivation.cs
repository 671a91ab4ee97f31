using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Strider.Devices.Activations;
using static Strider.Devices.Cpu.CpuMath;
using static Strider.Devices.Cpu.CpuElementwise;

namespace Strider.Devices.Cpu;

/// <summary>
/// Activations: one range loop per operation struct (<see cref="ActivationOps"/> picks it), with the struct's SIMD
/// form in the body where it has one and its scalar form in the tail, so a kind without a struct cannot run.
/// </summary>
internal static unsafe class CpuActivation
{
    internal static void ActivationForward(CpuWorkspace ws, Activation f, long count, DeviceBuffer<float> x, DeviceBuffer<float> y, float p0 = 0, float p1 = 0)
    {
        var range = new ForwardRange();
        ActivationOps.Accept(f, ref range);
        var elem = new ElementArgs { A = P(x, count, nameof(x)), B = P(y, count, nameof(y)), P0 = p0, P1 = p1 };
        RunRanges(ws, ref elem, count, range.Range);
    }

    internal static void ActivationBackward(CpuWorkspace ws, Activation f, long count, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate, float p0 = 0, float p1 = 0)
    {
        var range = new BackwardRange();
        ActivationOps.Accept(f, ref range);
        var elem = new ElementArgs
        {
            A = P(x, count, nameof(x)), B = P(y, count, nameof(y)), C = P(dy, count, nameof(dy)), D = P(dx, count, nameof(dx)),
            Accumulate = accumulate, P0 = p0, P1 = p1,
        };
        RunRanges(ws, ref elem, count, range.Range);
    }

    /// <summary>The forward range loop of the activation visited.</summary>
    internal struct ForwardRange : IActivationVisitor
    {
        public delegate*<in ElementArgs, long, long, void> Range;

        public void Visit<TActivation>() where TActivation : struct, IActivation => Range = &ActivationForwardRange<TActivation>;

        public void VisitVector<TActivation>() where TActivation : struct, IVectorActivation => Range = &VectorActivationForwardRange<TActivation>;
    }

    /// <summary>The backward range loop of the activation visited.</summary>
    internal struct BackwardRange : IActivationVisitor
    {
        public delegate*<in ElementArgs, long, long, void> Range;

        public void Visit<TActivation>() where TActivation : struct, IActivation => Range = &ActivationBackwardRange<TActivation>;

        public void VisitVector<TActivation>() where TActivation : struct, IVectorActivation => Range = &VectorActivationBackwardRange<TActivation>;
    }

    internal static void ActivationForwardRange<TActivation>(in ElementArgs e, long i0, long i1) where TActivation : struct, IActivation
    {
        float* px = e.A, py = e.B;
        float p0 = e.P0, p1 = e.P1;
        for (long i = i0; i < i1; i++) py[i] = default(TActivation).Forward(px[i], p0, p1);
    }

    internal static void VectorActivationForwardRange<TActivation>(in ElementArgs e, long i0, long i1) where TActivation : struct, IVectorActivation
    {
        float* px = e.A, py = e.B;
        float p0 = e.P0, p1 = e.P1;
        long i = i0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= i1; i += 8) default(TActivation).Forward(Vector256.Load(px + i)).Store(py + i);
        for (; i < i1; i++) py[i] = default(TActivation).Forward(px[i], p0, p1);
    }

    internal static void ActivationBackwardRange<TActivation>(in ElementArgs e, long i0, long i1) where TActivation : struct, IActivation
    {
        float* px = e.A, py = e.B, pdy = e.C, pdx = e.D;
        float p0 = e.P0, p1 = e.P1;
        bool accumulate = e.Accumulate;
        for (long i = i0; i < i1; i++) Put(pdx + i, default(TActivation).Backward(px[i], py[i], pdy[i], p0, p1), accumulate);
    }

    internal static void VectorActivationBackwardRange<TActivation>(in ElementArgs e, long i0, long i1) where TActivation : struct, IVectorActivation
    {
        float* px = e.A, py = e.B, pdy = e.C, pdx = e.D;
        float p0 = e.P0, p1 = e.P1;
        bool accumulate = e.Accumulate;
        long i = i0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= i1; i += 8)
            {
                var d = default(TActivation).Backward(Vector256.Load(px + i), Vector256.Load(pdy + i));
                if (accumulate) d += Vector256.Load(pdx + i);
                d.Store(pdx + i);
            }
        for (; i < i1; i++) Put(pdx + i, default(TActivation).Backward(px[i], py[i], pdy[i], p0, p1), accumulate);
    }
}
