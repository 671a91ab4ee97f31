using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Strider.Shapes;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// An inverted-residual block's 1x1 expansion and the depthwise conv that alone reads it, in one pass at inference
/// (<see cref="ConvKernel.ExpandDepthwise"/>; where: ConvolutionAlgorithm.ExpandDepthwiseApplies). A work item takes a
/// band of output rows of one image and a group of 8-channel panels of the expansion. For each panel it runs the
/// pointwise tiles (<see cref="CpuConvolution.RunPointwiseTile{TClamp}"/>) over the input rows the band reads into the
/// worker's scratch, then the depthwise conv of each of the panel's channels from there: the padded copy
/// (<see cref="CopyRow"/>) and the row kernels of <see cref="ForwardPlane"/>, or, where those apply, the direct rows
/// (<see cref="DirectRows3x3"/>) straight from the expanded rows, with no copy. MobileNetV2's 16 -> 96 expansion at
/// 112x112 wrote 4.8 MB that the stride-2 depthwise conv read back from L3; here each panel's rows stay in L2. Rows
/// that two bands read (the kernel's overlap) are expanded once per band. Each expanded value is the pointwise tile's
/// chain in C order and each output the row kernel's sum, both on the same values as the two ops: the same bits.
/// Storing the expansion's tiles (row by row) straight into every channel's padded copy instead, which skips the copy
/// pass, measured 1.09-1.24x this pass's time on W6's pairs (`expand-depthwise 1 evict`): the 8 channels' copies of a
/// plane are read back from L2, where the copy made 8 rows at a time is read from L1.
/// </summary>
internal static unsafe partial class CpuDepthwiseConvolution
{
    /// <summary>Whether the CPU device runs the expansion and the depthwise conv as two ops; settable so tests and the A/B run both.</summary>
    internal static bool ExpandDepthwiseOff;

    /// <summary>
    /// Most bytes of input a band reads (its rows of all C input channels): a plane whose input fits runs whole, a larger
    /// one by bands, which expand the rows they share once each. Settable for the A/B. One thread's CPU time against the
    /// two convs (`expand-depthwise 1 evict BYTES`, loaded machine), 1 MB (every MobileNetV2 plane whole) / 256 KB / 64 KB:
    /// 16 -> 96 at 112x112 stride 2 0.76 / 0.77 / 0.82, 24 -> 144 at 56x56 stride 1 0.97 / 1.09 / 1.17, stride 2 0.88 /
    /// 0.90 / 1.03, 32 -> 192 at 28x28 stride 1 0.93 / 0.93 / 1.13: the rows expanded twice cost more than the input's
    /// trips past L2.
    /// </summary>
    internal static int ExpandBandBytes = 1024 * 1024;

    /// <summary>Fewest positions of the expanded plane the fused pass takes (the shared rule's); settable so the A/B measures smaller planes too.</summary>
    internal static int ExpandMinPositions = ConvolutionAlgorithm.MinExpandDepthwisePositions;

    private struct ExpandArgs
    {
        /// <summary>The expansion's and the depthwise conv's geometry.</summary>
        public ConvGeometry E, D;
        public float* X, PackedW, ExpandBias, W, Bias, Y;
        /// <summary>The depthwise padded copy's layout (<see cref="Layout"/>).</summary>
        public int PhaseLength, RowStride;
        public StoreMode Mode;
        public int BandRows, Bands, PanelsPerGroup, Groups;
    }

    /// <summary>
    /// Whether <see cref="ForwardExpanded"/> runs this pair: the shared rule, a depthwise conv with one output per input
    /// channel that <see cref="Applies"/> takes, and epilogues the stores apply in registers (no residual; none, Relu or Relu6).
    /// </summary>
    internal static bool ExpandedApplies(in ConvGeometry e, in ConvGeometry d, in ConvEpilogue expandEpilogue, in ConvEpilogue depthwiseEpilogue) =>
        !ExpandDepthwiseOff && Applies(d) && d.OutChannels == d.InChannels && e.Groups == 1
        && ConvolutionAlgorithm.ExpandDepthwiseApplies(e.InChannels, e.InH, e.InW, e.OutChannels, d.OutH, d.OutW, d.KernelH, d.KernelW, d.StrideH, d.StrideW, d.PadTop, d.PadLeft, d.DilationH, d.DilationW, ExpandMinPositions)
        && e.KernelH == 1 && e.KernelW == 1 && e.StrideH == 1 && e.StrideW == 1 && e.PadTop == 0 && e.PadLeft == 0 && e.OutH == e.InH && e.OutW == e.InW
        && InRegisters(expandEpilogue) && InRegisters(depthwiseEpilogue);

    private static bool InRegisters(in ConvEpilogue epilogue) => epilogue.Residual is null && epilogue.Activation is null or Activation.Relu or Activation.Relu6;

    /// <summary>y = depthwise(expand(x)) with both epilogues (see the class summary); <paramref name="packedW"/> in the pointwise panels' layout.</summary>
    internal static void ForwardExpanded(CpuWorkspace ws, in ConvGeometry e, in ConvGeometry d, int n, float* x, float* packedW, float* expandBias,
        in ConvEpilogue expandEpilogue, float* w, float* bias, float* y, in ConvEpilogue depthwiseEpilogue)
    {
        if (n == 0) return;
        var (_, phaseLength) = Layout(d);
        var args = new ExpandArgs
        {
            E = e, D = d, X = x, PackedW = packedW, ExpandBias = expandBias, W = w, Bias = bias, Y = y,
            PhaseLength = phaseLength, RowStride = phaseLength * d.StrideW,
            Mode = depthwiseEpilogue.Activation switch { Activation.Relu => StoreMode.Relu, Activation.Relu6 => StoreMode.Relu6, _ => StoreMode.Plain },
        };
        // Bands whose input rows fit ExpandBandBytes (the whole plane where it fits), then groups of panels enough for
        // about ItemsPerWorker items a worker.
        long rowBytes = (long)e.InChannels * e.InW * sizeof(float);
        int inRows = (int)Math.Clamp(ExpandBandBytes / rowBytes, d.KernelH, int.MaxValue);
        args.BandRows = Math.Clamp((inRows - d.KernelH) / d.StrideH + 1, 1, d.OutH);
        // A batch smaller than the workers: at least one band per worker (band-major items), so each worker expands the
        // rows the previous op had it write (see Forward); the rows two bands share are expanded twice.
        var (splitBands, splitHeight) = RowSplit(ws.Workers, n, d.OutH);
        if (splitBands > 1) args.BandRows = Math.Min(args.BandRows, splitHeight);
        args.Bands = (d.OutH + args.BandRows - 1) / args.BandRows;
        int panels = (e.OutChannels + CpuConvolution.PointwiseRows - 1) / CpuConvolution.PointwiseRows;
        int target = CpuConvolution.ItemsPerWorker * ws.Workers;
        int groups = (int)Math.Clamp((target + (long)n * args.Bands - 1) / ((long)n * args.Bands), 1, panels);
        args.PanelsPerGroup = (panels + groups - 1) / groups;
        args.Groups = (panels + args.PanelsPerGroup - 1) / args.PanelsPerGroup;
        var item = expandEpilogue.Activation switch
        {
            Activation.Relu => (delegate*<object, void*, int, int, void>)&ExpandedItem<CpuConvolution.ReluClamp>,
            Activation.Relu6 => &ExpandedItem<CpuConvolution.Relu6Clamp>,
            _ => &ExpandedItem<CpuConvolution.NoClamp>,
        };
        ws.Run(&args, n * args.Bands * args.Groups, item);
    }

    /// <summary>One group of panels (item % Groups) over one band (item / Groups % Bands) of one image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ExpandedItem<TClamp>(object state, void* args, int item, int worker) where TClamp : struct, CpuConvolution.IPointwiseClamp
    {
        var ws = Unsafe.As<CpuWorkspace>(state);
        ref readonly ExpandArgs a = ref *(ExpandArgs*)args;
        ref readonly ConvGeometry e = ref a.E;
        ref readonly ConvGeometry d = ref a.D;
        int group = item % a.Groups, band = item / a.Groups % a.Bands, b = item / a.Groups / a.Bands;
        int C = e.InChannels, K = e.OutChannels, inH = d.InH, inW = d.InW, p = inH * inW, outP = d.OutH * d.OutW;
        const int rowsPerPanel = CpuConvolution.PointwiseRows, span = CpuConvolution.PointwisePositions;
        int oy0 = band * a.BandRows, oy1 = Math.Min(d.OutH, oy0 + a.BandRows);
        // The padded rows the band's outputs read, and the input rows among them (the rest is padding).
        int pr0 = oy0 * d.StrideH, pr1 = (oy1 - 1) * d.StrideH + d.KernelH;
        int iy0 = Math.Clamp(pr0 - d.PadTop, 0, inH), iy1 = Math.Clamp(pr1 - d.PadTop, 0, inH);
        int positions = (iy1 - iy0) * inW, tiles = (positions + span - 1) / span, stride = tiles * span;
        float* xb = a.X + (long)b * C * p;
        int j0 = iy0 * inW;
        // The panel's expanded rows (8 rows of `stride`), the depthwise padded copy of one channel's band, and a last tile
        // past the plane's end zero-padded (reading past the plane would read past the buffer on the last channel).
        float* expanded = Grow(ws.WorkspaceB, worker, (long)rowsPerPanel * stride);
        // The direct rows read the expanded rows in place, the padding rows from a zero row where the copy would be.
        bool direct = DirectApplies(d, a.Mode);
        float* copy = Grow(ws.WorkspaceA, worker, direct ? inW : (long)(pr1 - pr0) * a.RowStride + WideSlack);
        if (direct) new Span<float>(copy, inW).Clear();
        int lastFull = j0 + tiles * span <= p ? tiles : tiles - 1;
        float* lastTile = null;
        if (lastFull < tiles)
        {
            lastTile = Grow(ws.WorkspaceC, worker, (long)C * span);
            int from = j0 + lastFull * span, width = p - from;
            for (int c = 0; c < C; c++)
            {
                new ReadOnlySpan<float>(xb + (long)c * p + from, width).CopyTo(new Span<float>(lastTile + c * span, width));
                new Span<float>(lastTile + c * span + width, span - width).Clear();
            }
        }
        float* tailBias = stackalloc float[rowsPerPanel];
        int* offsets = stackalloc int[d.KernelW];
        for (int kx = 0; kx < d.KernelW; kx++) offsets[kx] = kx * d.DilationW % d.StrideW * a.PhaseLength + kx * d.DilationW / d.StrideW;
        var tail = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(d.OutW % Lanes)).AsSingle();
        bool wide = WideApplies(d, a.Mode);
        int taps = d.KernelH * d.KernelW, panels = (K + rowsPerPanel - 1) / rowsPerPanel;
        int panel0 = group * a.PanelsPerGroup, panel1 = Math.Min(panels, panel0 + a.PanelsPerGroup);
        for (int panel = panel0; panel < panel1; panel++)
        {
            int k0 = panel * rowsPerPanel, rows = Math.Min(rowsPerPanel, K - k0);
            float* pw = a.PackedW + (long)k0 * C, eb = a.ExpandBias == null ? null : a.ExpandBias + k0;
            if (eb != null && rows < rowsPerPanel)
            {
                for (int r = 0; r < rowsPerPanel; r++) tailBias[r] = r < rows ? eb[r] : 0;
                eb = tailBias;
            }
            // The panel's 8 channels over the band's input rows (a tile's positions past the band are computed and not read).
            for (int t = 0; t < tiles; t++)
            {
                bool inPlace = t < lastFull;
                CpuConvolution.RunPointwiseTile<TClamp>(C, span / CpuConvolution.PointwiseVector, false, pw,
                    inPlace ? xb + j0 + t * span : lastTile, inPlace ? p : span, eb, null, expanded + t * span, stride);
            }
            for (int r = 0; r < rows; r++)
            {
                int c = k0 + r;
                float* src = expanded + (long)r * stride - (long)iy0 * inW;
                float* kernel = a.W + (long)c * taps;
                float* yc = a.Y + ((long)b * K + c) * outP;
                float channelBias = a.Bias == null ? 0f : a.Bias[c];
                if (direct)
                {
                    for (int sy0 = oy0; sy0 < oy1; sy0 += DirectBand)
                        DirectRows3x3(d, a.Mode, sy0, Math.Min(oy1, sy0 + DirectBand), src, copy, kernel, channelBias, yc);
                    continue;
                }
                // The copy holds padded rows pr0 on: the row kernels index it from padded row 0.
                float* origin = copy - (long)pr0 * a.RowStride;
                int copied = pr0;
                for (int sy0 = oy0; sy0 < oy1; sy0 += Band)
                {
                    int sy1 = Math.Min(oy1, sy0 + Band);
                    for (int need = (sy1 - 1) * d.StrideH + d.KernelH; copied < need; copied++)
                    {
                        int iy = copied - d.PadTop;
                        CopyRow((uint)iy < (uint)inH ? src + (long)iy * inW : null, origin + (long)copied * a.RowStride, d.StrideW, a.PhaseLength, d.PadLeft, inW);
                    }
                    ChannelRows(d, a.Mode, wide, sy0, sy1, origin, a.RowStride, offsets, tail, kernel, channelBias, yc);
                }
            }
        }
    }
}
