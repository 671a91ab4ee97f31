using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Strider.Shapes;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// A depthwise conv and the 1x1 projection that alone reads it, in one pass at inference (MobileNetV2's first block,
/// whose depthwise conv has no expansion before it; the mirror of <see cref="ForwardExpanded"/>). A work item takes a
/// band of output rows of one image: the depthwise rows of every channel of the band into the worker's scratch (the
/// padded copy, <see cref="CopyRow"/>, and the row kernels of <see cref="ForwardPlane"/>), then the pointwise tiles
/// (<see cref="CpuConvolution.RunPointwiseTile{TClamp}"/>) over the band's positions from there into y. Each depthwise
/// value is the row kernel's sum and each output the pointwise tile's chain in C order on the same values as the two
/// ops: the same bits.
/// </summary>
internal static unsafe partial class CpuDepthwiseConvolution
{
    /// <summary>Whether the CPU device runs the depthwise conv and the projection as two ops; settable so tests and the A/B run both.</summary>
    internal static bool DepthwiseProjectOff;

    /// <summary>Most bytes of the depthwise output a band holds in the worker's scratch (its rows of all C channels); settable for the A/B.</summary>
    internal static int ProjectBandBytes = 64 * 1024;

    /// <summary>Fewest positions of the depthwise output the fused pass takes (the shared rule's); settable so the A/B measures smaller planes too.</summary>
    internal static int ProjectMinPositions = ConvolutionAlgorithm.MinDepthwiseProjectPositions;

    private struct ProjectArgs
    {
        /// <summary>The depthwise conv's and the projection's geometry.</summary>
        public ConvGeometry D, P;
        public float* X, W, Bias, PackedW, ProjectBias, Y;
        public CpuEpilogue Epilogue;
        /// <summary>The depthwise padded copy's layout (<see cref="Layout"/>).</summary>
        public int PhaseLength, RowStride;
        public StoreMode Mode;
        public int BandRows, Bands;
    }

    /// <summary>
    /// Whether <see cref="ForwardProjected"/> runs this pair: the shared rule, a depthwise conv with one output per input channel that
    /// <see cref="Applies"/> takes and the flat path does not, a 1x1 stride-1 unpadded projection, a depthwise epilogue
    /// of none, Relu or Relu6, and a projection epilogue the tiles apply in registers (a residual, none, Relu or Relu6).
    /// </summary>
    internal static bool ProjectedApplies(in ConvGeometry d, in ConvGeometry p, in ConvEpilogue depthwiseEpilogue, in ConvEpilogue projectEpilogue) =>
        !DepthwiseProjectOff && Applies(d) && d.Groups > 1 && d.OutChannels == d.InChannels && p.Groups == 1
        && ConvolutionAlgorithm.DepthwiseProjectApplies(d.InChannels, d.InH, d.InW, d.OutH, d.OutW, d.KernelH, d.KernelW, d.StrideH, d.StrideW, d.PadTop, d.PadLeft,
            d.DilationH, d.DilationW, p.OutChannels, ProjectMinPositions)
#if NET9_0_OR_GREATER
        && !FlatApplies(d)
#endif
        && p.KernelH == 1 && p.KernelW == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadTop == 0 && p.PadLeft == 0
        && p.InChannels == d.OutChannels && p.InH == d.OutH && p.InW == d.OutW
        && InRegisters(depthwiseEpilogue) && projectEpilogue.Activation is null or Activation.Relu or Activation.Relu6;

    /// <summary>y = project(depthwise(x)) with both epilogues (see the class summary); <paramref name="packedW"/> in the pointwise panels' layout.</summary>
    internal static void ForwardProjected(CpuWorkspace ws, in ConvGeometry d, in ConvGeometry p, int n, float* x, float* w, float* bias,
        in ConvEpilogue depthwiseEpilogue, float* packedW, float* projectBias, float* y, in ConvEpilogue projectEpilogue)
    {
        if (n == 0) return;
        var (_, phaseLength) = Layout(d);
        var args = new ProjectArgs
        {
            D = d, P = p, X = x, W = w, Bias = bias, PackedW = packedW, ProjectBias = projectBias, Y = y,
            Epilogue = CpuEpilogue.Of(projectEpilogue, y, (long)n * p.OutputSize),
            PhaseLength = phaseLength, RowStride = phaseLength * d.StrideW,
            Mode = depthwiseEpilogue.Activation switch { Activation.Relu => StoreMode.Relu, Activation.Relu6 => StoreMode.Relu6, _ => StoreMode.Plain },
        };
        // Bands whose depthwise rows of all channels fit ProjectBandBytes, in whole multiples of the rows that fill whole
        // tiles where that leaves at least one (112 wide: 3 rows, 336 positions, 7 tiles), so only a plane's last band has a short tile.
        long rowBytes = (long)d.OutChannels * d.OutW * sizeof(float);
        int rows = (int)Math.Clamp(ProjectBandBytes / rowBytes, 1, d.OutH);
        int whole = CpuConvolution.PointwisePositions / Gcd(CpuConvolution.PointwisePositions, d.OutW);
        if (rows >= whole) rows = rows / whole * whole;
        // A whole number of bands per worker at batch 1 (7 bands on 2 workers left one idle an eighth of the pass).
        int bands = (d.OutH + rows - 1) / rows;
        if (n == 1 && bands > 1 && bands % ws.Workers != 0)
        {
            bands = (bands + ws.Workers - 1) / ws.Workers * ws.Workers;
            rows = Math.Max(1, (d.OutH + bands - 1) / bands);
        }
        args.BandRows = rows;
        args.Bands = (d.OutH + rows - 1) / rows;
        var item = projectEpilogue.Activation switch
        {
            Activation.Relu => (delegate*<object, void*, int, int, void>)&ProjectedItem<CpuConvolution.ReluClamp>,
            Activation.Relu6 => &ProjectedItem<CpuConvolution.Relu6Clamp>,
            _ => &ProjectedItem<CpuConvolution.NoClamp>,
        };
        ws.Run(&args, n * args.Bands, item);
    }

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);

    /// <summary>One band (item % Bands) of one image (item / Bands): the band's depthwise rows of every channel, then the projection's tiles over them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ProjectedItem<TClamp>(object state, void* args, int item, int worker) where TClamp : struct, CpuConvolution.IPointwiseClamp
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly ProjectArgs a = ref *(ProjectArgs*)args;
        ref readonly ConvGeometry d = ref a.D;
        int band = item % a.Bands, b = item / a.Bands;
        int C = d.InChannels, K = a.P.OutChannels, inP = d.InH * d.InW, outW = d.OutW, outP = d.OutH * outW;
        const int rowsPerPanel = CpuConvolution.PointwiseRows, span = CpuConvolution.PointwisePositions;
        int oy0 = band * a.BandRows, oy1 = Math.Min(d.OutH, oy0 + a.BandRows);
        int positions = (oy1 - oy0) * outW, tiles = (positions + span - 1) / span, stride = tiles * span;
        // The padded rows the band's outputs read.
        int pr0 = oy0 * d.StrideH, pr1 = (oy1 - 1) * d.StrideH + (d.KernelH - 1) * d.DilationH + 1;
        // The band's depthwise rows, C rows of `stride` (a short last tile's positions past the band zero: read, never stored),
        // with a vector of slack for the row kernels' last store; the padded copy of one channel's rows.
        float* depthwise = Grow(ws.WorkspaceB, worker, (long)C * stride + WideSlack);
        float* copy = Grow(ws.WorkspaceA, worker, (long)(pr1 - pr0) * a.RowStride + WideSlack);
        int* offsets = stackalloc int[d.KernelW];
        for (int kx = 0; kx < d.KernelW; kx++) offsets[kx] = kx * d.DilationW % d.StrideW * a.PhaseLength + kx * d.DilationW / d.StrideW;
        var tail = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(outW % Lanes)).AsSingle();
        bool wide = WideApplies(d, a.Mode);
        int taps = d.KernelH * d.KernelW;
        float* origin = copy - (long)pr0 * a.RowStride;
        for (int c = 0; c < C; c++)
        {
            float* xc = a.X + ((long)b * C + c) * inP;
            for (int row = pr0; row < pr1; row++)
            {
                int iy = row - d.PadTop;
                CopyRow((uint)iy < (uint)d.InH ? xc + (long)iy * d.InW : null, origin + (long)row * a.RowStride, d.StrideW, a.PhaseLength, d.PadLeft, d.InW);
            }
            float* dc = depthwise + (long)c * stride;
            // Bands of the standalone conv's height (its row kernels' reach into the copy), indexed from output row 0.
            for (int sy0 = oy0; sy0 < oy1; sy0 += Band)
                ChannelRows(d, a.Mode, wide, false, sy0, Math.Min(oy1, sy0 + Band), origin, a.RowStride, a.PhaseLength, offsets, tail,
                    a.W + (long)c * taps, a.Bias == null ? 0f : a.Bias[c], dc - (long)oy0 * outW);
            new Span<float>(dc + positions, stride - positions).Clear();
        }
        float* tile = stackalloc float[rowsPerPanel * span];
        float* tailBias = stackalloc float[rowsPerPanel];
        float* yb = a.Y + (long)b * K * outP + (long)oy0 * outW;
        int panels = (K + rowsPerPanel - 1) / rowsPerPanel;
        for (int panel = 0; panel < panels; panel++)
        {
            int k0 = panel * rowsPerPanel, rowsInPanel = Math.Min(rowsPerPanel, K - k0);
            float* pw = a.PackedW + (long)k0 * C, pb = a.ProjectBias == null ? null : a.ProjectBias + k0;
            if (pb != null && rowsInPanel < rowsPerPanel)
            {
                for (int r = 0; r < rowsPerPanel; r++) tailBias[r] = r < rowsInPanel ? pb[r] : 0;
                pb = tailBias;
            }
            for (int t = 0; t < tiles; t++)
            {
                int j0 = t * span, width = Math.Min(span, positions - j0);
                float* o = yb + (long)k0 * outP + j0;
                if (rowsInPanel == rowsPerPanel && width == span)
                {
                    // The whole epilogue in registers: the residual's rows sit at the output's offsets.
                    float* residual = a.Epilogue.Residual == null ? null : a.Epilogue.Residual + (o - a.Epilogue.Y);
                    CpuConvolution.RunPointwiseTile<TClamp>(C, span / CpuConvolution.PointwiseVector, false, pw, depthwise + j0, stride, pb, residual, o, outP);
                    continue;
                }
                // A part-filled panel or a short tile: through a stack tile, only its outputs copied out, then the epilogue
                // on them (as the projection's own short tiles).
                CpuConvolution.RunPointwiseTile<CpuConvolution.NoClamp>(C, span / CpuConvolution.PointwiseVector, false, pw, depthwise + j0, stride, pb, null, tile, span);
                for (int r = 0; r < rowsInPanel; r++)
                    new ReadOnlySpan<float>(tile + r * span, width).CopyTo(new Span<float>(o + (long)r * outP, width));
                if (a.Epilogue.Active) a.Epilogue.ApplyRows(o, rowsInPanel, outP, width);
            }
        }
    }
}
