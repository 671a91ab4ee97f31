using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// Max pool 3x3 stride 2 (ResNet's stem pool), with or without switches, as two passes of 3 taps: each input row's 3-wide
/// stride-2 maxima once, then each output row the maxima of its 3 rows' results, 8 outputs per vector step (the
/// window loop did 9 taps per output, and tracked the switch of each). Folding row by row with <see cref="Wins(Vector256{float}, Vector256{float})"/>
/// keeps the window's row-major rule: the first of equal values (each row's first, then the first such row), or the
/// last NaN (the last row with one, its last). Taps in the padding read -inf, which never replaces a value and, first
/// in a window, is replaced by anything but -inf (whose bits it has): the same bits as skipping them.
/// </summary>
internal static unsafe partial class CpuPooling
{
    /// <summary>Widest input row the separable pool takes (its row buffers are on the stack).</summary>
    private const int SeparableMaxWidth = 4096;

    /// <summary>Whether <see cref="MaxPlane3x3Stride2{TSwitches}"/> runs this pool: 3x3 stride 2, padding 0 or 1, every window with an input row and column.</summary>
    internal static bool SeparableMaxApplies(in PoolGeometry g) =>
        Avx2.IsSupported && g.KernelH == 3 && g.KernelW == 3 && g.StrideH == 2 && g.StrideW == 2 && g.DilationH == 1 && g.DilationW == 1
        && (uint)g.PadTop <= 1 && (uint)g.PadLeft <= 1 && g.OutW >= 8 && g.InW <= SeparableMaxWidth
        && 2 * (g.OutH - 1) - g.PadTop <= g.InH - 1 && 2 * (g.OutW - 1) - g.PadLeft <= g.InW - 1;

    /// <summary>Whether <see cref="MaxPlane3x3Stride2{TSwitches}"/> keeps the switches (a training step's pool) or only the maxima.</summary>
    internal interface ISwitches { static abstract bool On { get; } }
    internal struct WithSwitches : ISwitches { public static bool On => true; }
    internal struct WithoutSwitches : ISwitches { public static bool On => false; }

    /// <summary>
    /// The max pool of one plane by rows of 3 taps (see the class comment); the caller checked <see cref="SeparableMaxApplies"/>.
    /// With the switches (<typeparamref name="TSwitches"/>), each input row's maxima carry the column of the tap that
    /// won and the output rows fold them with the row's in-plane offset, so every window keeps the tap the window loop
    /// keeps: a tap in the left padding (only the first window of a row with padding 1) gives way to the next tap
    /// whatever its value, as the loop skips it; -inf in the right padding never wins. Without them the JIT drops the
    /// columns, and the maxima are the same bits either way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MaxPlane3x3Stride2<TSwitches>(in PoolGeometry g, float* x, float* y, int* switches) where TSwitches : struct, ISwitches
    {
        if (!TSwitches.On && Vector512.IsHardwareAccelerated && Wide && g.OutW >= 16)
        {
            MaxPlane512(g, x, y);
            return;
        }
        // The row read with -inf around it: column iw at line[1 + iw], every vector load of the last step inside.
        int length = Math.Max(g.InW + 1, 2 * g.OutW + 3) + 8;
        float* line = stackalloc float[length];
        float* rows = stackalloc float[3 * g.OutW];
        int* columns = stackalloc int[TSwitches.On ? 3 * g.OutW : 1];
        new Span<float>(line, length).Fill(float.NegativeInfinity);
        float* h0 = rows, h1 = rows + g.OutW, h2 = rows + 2 * g.OutW;
        int* c0 = columns, c1 = columns + g.OutW, c2 = columns + 2 * g.OutW;
        bool carried = false;
        for (int oh = 0; oh < g.OutH; oh++)
        {
            // Input rows first .. first + 2; the last is the next output row's first, kept in h2 -> h0.
            int first = 2 * oh - g.PadTop;
            bool v0 = (uint)first < (uint)g.InH, v1 = (uint)(first + 1) < (uint)g.InH, v2 = (uint)(first + 2) < (uint)g.InH;
            if (v0 && !carried) RowMaxima<TSwitches>(g, x + (long)first * g.InW, line, h0, c0);
            if (v1) RowMaxima<TSwitches>(g, x + (long)(first + 1) * g.InW, line, h1, c1);
            if (v2) RowMaxima<TSwitches>(g, x + (long)(first + 2) * g.InW, line, h2, c2);
            float* yo = y + (long)oh * g.OutW;
            int* so = switches + (long)oh * g.OutW;
            // In-plane offsets of the three rows' starts (a row outside the plane is never read).
            var r0 = Vector256.Create(first * g.InW);
            var r1 = r0 + Vector256.Create(g.InW);
            var r2 = r1 + Vector256.Create(g.InW);
            for (int o = 0; ; o += 8)
            {
                if (o > g.OutW - 8) o = g.OutW - 8;
                var (max, best) = v0 ? Tap<TSwitches>(h0, c0, r0, o) : Tap<TSwitches>(h1, c1, r1, o);
                if (v0 && v1) (max, best) = Fold<TSwitches>(max, best, Tap<TSwitches>(h1, c1, r1, o));
                if (v2) (max, best) = Fold<TSwitches>(max, best, Tap<TSwitches>(h2, c2, r2, o));
                max.Store(yo + o);
                if (TSwitches.On) best.Store(so + o);
                if (o == g.OutW - 8) break;
            }
            float* keptRow = h2;
            h2 = h0;
            h0 = keptRow;
            int* keptColumns = c2;
            c2 = c0;
            c0 = keptColumns;
            carried = v2;
        }
    }

    /// <summary>
    /// out[ow] = the 3 taps 2 ow - PadLeft + 0, 1, 2 of input row <paramref name="row"/> folded in order, 8 at a time,
    /// and with the switches the winning tap's column in <paramref name="columns"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowMaxima<TSwitches>(in PoolGeometry g, float* row, float* line, float* output, int* columns) where TSwitches : struct, ISwitches
    {
        new ReadOnlySpan<float>(row, g.InW).CopyTo(new Span<float>(line + 1, g.InW));
        float* taps = line + 1 - g.PadLeft;
        var even = Vector256<int>.Indices * 2;
        for (int o = 0; ; o += 8)
        {
            if (o > g.OutW - 8) o = g.OutW - 8;
            float* t = taps + 2 * o;
            var (left, middle) = Deinterleave(Vector256.Load(t), Vector256.Load(t + 8));
            var right = Deinterleave(Vector256.Load(t + 2), Vector256.Load(t + 10)).Even;
            if (TSwitches.On)
            {
                var column = even + Vector256.Create(2 * o - g.PadLeft);
                var m = Wins(middle, left) | Vector256.LessThan(column, Vector256<int>.Zero).AsSingle();
                var (max, best) = Fold<TSwitches>(Vector256.ConditionalSelect(m, middle, left), Vector256.ConditionalSelect(m.AsInt32(), column + Vector256<int>.One, column),
                    (right, column + Vector256.Create(2)));
                max.Store(output + o);
                best.Store(columns + o);
            }
            else Fold(Fold(left, middle), right).Store(output + o);
            if (o == g.OutW - 8) break;
        }
    }

    /// <summary>The row maxima at <paramref name="h"/> + o, and with the switches their in-plane offsets (the row's start <paramref name="start"/> plus the columns).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Max, Vector256<int> Best) Tap<TSwitches>(float* h, int* columns, Vector256<int> start, int o) where TSwitches : struct, ISwitches =>
        (Vector256.Load(h + o), TSwitches.On ? start + Vector256.Load(columns + o) : default);

    /// <summary>The running max and, with the switches, its switch after <paramref name="tap"/> (as <see cref="Fold(Vector256{float}, Vector256{float})"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Max, Vector256<int> Best) Fold<TSwitches>(Vector256<float> max, Vector256<int> best, (Vector256<float> Max, Vector256<int> Best) tap)
        where TSwitches : struct, ISwitches
    {
        var m = Wins(tap.Max, max);
        return (Vector256.ConditionalSelect(m, tap.Max, max), TSwitches.On ? Vector256.ConditionalSelect(m.AsInt32(), tap.Best, best) : best);
    }

    /// <summary>The running max after tap <paramref name="v"/>: v where it wins (<see cref="Wins(Vector256{float}, Vector256{float})"/>), else max.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fold(Vector256<float> max, Vector256<float> v) => Vector256.ConditionalSelect(Wins(v, max), v, max);

    /// <summary>Switches the 512-bit pool without switches off (the 256-bit steps instead), for the benchmarks' A/B (`network-ab W5 pool-wide`).</summary>
    internal static bool Wide = true;

    /// <summary>
    /// <see cref="MaxPlane3x3Stride2{TSwitches}"/> without the switches, 16 outputs per vector step (AVX-512, output rows
    /// of at least 16): the same folds in the same order, so the same bits. On 8 lanes the pool's row copies, permutes
    /// and folds were as many instructions as its 3.2 MB of ResNet's stem output took to read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxPlane512(in PoolGeometry g, float* x, float* y)
    {
        // The row read with -inf around it: column iw at line[1 + iw], every 512-bit load of the last step inside.
        int length = Math.Max(g.InW + 1, 2 * g.OutW + 3) + 32;
        float* line = stackalloc float[length];
        float* rows = stackalloc float[3 * g.OutW];
        new Span<float>(line, length).Fill(float.NegativeInfinity);
        float* h0 = rows, h1 = rows + g.OutW, h2 = rows + 2 * g.OutW;
        bool carried = false;
        for (int oh = 0; oh < g.OutH; oh++)
        {
            int first = 2 * oh - g.PadTop;
            bool v0 = (uint)first < (uint)g.InH, v1 = (uint)(first + 1) < (uint)g.InH, v2 = (uint)(first + 2) < (uint)g.InH;
            if (v0 && !carried) RowMaxima512(g, x + (long)first * g.InW, line, h0);
            if (v1) RowMaxima512(g, x + (long)(first + 1) * g.InW, line, h1);
            if (v2) RowMaxima512(g, x + (long)(first + 2) * g.InW, line, h2);
            float* yo = y + (long)oh * g.OutW;
            for (int o = 0; ; o += 16)
            {
                if (o > g.OutW - 16) o = g.OutW - 16;
                var max = v0 ? Vector512.Load(h0 + o) : Vector512.Load(h1 + o);
                if (v0 && v1) max = Fold(max, Vector512.Load(h1 + o));
                if (v2) max = Fold(max, Vector512.Load(h2 + o));
                max.Store(yo + o);
                if (o == g.OutW - 16) break;
            }
            float* keptRow = h2;
            h2 = h0;
            h0 = keptRow;
            carried = v2;
        }
    }

    /// <summary><see cref="RowMaxima{TSwitches}"/> without the switches, 16 outputs per step: even and odd taps split out of two loads by one permute each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowMaxima512(in PoolGeometry g, float* row, float* line, float* output)
    {
        new ReadOnlySpan<float>(row, g.InW).CopyTo(new Span<float>(line + 1, g.InW));
        float* taps = line + 1 - g.PadLeft;
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odd = even + Vector512<int>.One;
        for (int o = 0; ; o += 16)
        {
            if (o > g.OutW - 16) o = g.OutW - 16;
            float* t = taps + 2 * o;
            Vector512<float> a = Vector512.Load(t), b = Vector512.Load(t + 16), c = Vector512.Load(t + 2), d = Vector512.Load(t + 18);
            var left = Avx512F.PermuteVar16x32x2(a, even, b);
            var middle = Avx512F.PermuteVar16x32x2(a, odd, b);
            var right = Avx512F.PermuteVar16x32x2(c, even, d);
            Fold(Fold(left, middle), right).Store(output + o);
            if (o == g.OutW - 16) break;
        }
    }

    /// <summary>The running max after tap <paramref name="v"/>, 16 lanes: <see cref="Wins(Vector256{float}, Vector256{float})"/>'s two instructions, then the blend.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fold(Vector512<float> max, Vector512<float> v) =>
        Vector512.ConditionalSelect(Avx512F.CompareNotLessThanOrEqual(v, Avx512F.Min(max, Vector512.Create(float.PositiveInfinity))), v, max);
}
