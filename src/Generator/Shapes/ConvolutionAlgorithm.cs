namespace Strider.Shapes;

/// <summary>A kernel the CPU device runs a convolution pass with (see <see cref="ConvolutionAlgorithm"/>).</summary>
internal enum ConvKernel
{
    /// <summary>im2col (a padded, phase-split copy of the input) + GEMM per image, split over runs of output positions.</summary>
    Im2colGemm,

    /// <summary>
    /// Winograd F(2x2, 3x3): input and output tile transforms split over channel planes, 16 GEMMs (channel tiles) split
    /// over transform elements and runs of tiles; with at most 64 x 64 weights (and AVX-512) all three fused per block of
    /// tile rows (im2col + GEMM instead when the batch's transformed tiles pass 2^31 values).
    /// </summary>
    Winograd,

    /// <summary>
    /// Implicit GEMM in registers: 32 output channels by 14 output positions per tile, summed over the whole C R S depth
    /// with the taps read in place from the padded input (no im2col panels), split over channel panels and runs of tiles.
    /// </summary>
    ChannelTiles,

    /// <summary>A 1x1 stride-1 unpadded conv: a plain GEMM that reads the input in place (no im2col), split over runs of output positions.</summary>
    Gemm1x1,

    /// <summary>
    /// A 1x1 stride-1 unpadded conv (<see cref="ConvolutionAlgorithm.PointwiseApplies"/>): 8-channel x 48-position register
    /// tiles with vectors along the positions (49 positions, the last as a column of 8 sums, where that tiles a 7x7 or
    /// 14x14 plane exactly), read from the input in place (no im2col, no transposing store), the epilogue in registers,
    /// split over runs of positions and groups of channel panels.
    /// </summary>
    Pointwise,

    /// <summary>Output planes smaller than a column chunk: im2col + GEMM over the whole batch's columns, split over output-channel blocks and column chunks.</summary>
    BatchColumnsGemm,

    /// <summary>Grouped convolution as a direct kernel, one (image, channel) plane per work item.</summary>
    GroupedDirect,

    /// <summary>Depthwise convolution (one input channel per group) as a direct kernel, one (image, channel) plane per work item (at a batch smaller than the workers, one band of its rows per worker).</summary>
    DepthwiseDirect,

    /// <summary>Backward data (a transposed conv's forward): GEMM W^T dY + col2im per image, split over input-channel blocks and images.</summary>
    GemmCol2im,

    /// <summary>Backward data on small output planes: GEMM over the batch's columns + col2im, split over input-channel blocks and image groups.</summary>
    BatchColumnsCol2im,

    /// <summary>Strided backward data as one stride-1 conv per stride phase (each run by <see cref="ChannelTiles"/> where they apply, else <see cref="Im2colGemm"/>), interleaved into dx once.</summary>
    PhaseSplit,

    /// <summary>
    /// Strided backward data whose stride phases share one 3x3 window (the U-net's 5x5 stride 2): every phase's
    /// sub-kernel, zero-padded to that window, as the output channels of one Winograd F(2x2, 3x3) conv of dY (fused per
    /// block of tile rows), interleaved into dx once; with AVX-512 (the phase split otherwise).
    /// </summary>
    PhaseWinograd,

    /// <summary>
    /// Stride-1 backward data as the forward pass of dY with the weights flipped and transposed ([C, K, R, S], the
    /// padding mirrored), so it runs on the forward kernels (im2col + GEMM, 1x1 as GEMM, batch columns) with no col2im.
    /// </summary>
    FlippedForward,

    /// <summary>
    /// A strided conv whose kernel spans three strides each way (the U-net's 5x5 stride 2): the input's stride phases
    /// copied as channels (space to depth), then one stride-1 Winograd F(2x2, 3x3) conv of them with the kernel's taps
    /// regrouped per phase (zeros past the kernel), fused per block of tile rows; with AVX-512 (the channel tiles or
    /// im2col otherwise).
    /// </summary>
    StridedWinograd,

    /// <summary>
    /// Winograd F(4x4, 3x3): 6x6 input tiles (stride 4), 36 GEMMs (channel tiles) per batch, 2.25 multiplies per output
    /// and channel pair where F(2x2, 3x3) does 4; transforms split over channel planes and the GEMMs over transform
    /// elements and runs of tiles, or all three fused per block of tile rows with at most 128 x 128 weights (and AVX-512).
    /// </summary>
    Winograd4x4,

    /// <summary>
    /// Winograd F(2x2, r x r) for 4x4 and 5x5 stride-1 convs: 25 or 36 multiplies per 2x2 output tile instead of 64 or
    /// 100, the transformed weights kept per write, fused per block of tile rows (input transform, channel-tile GEMMs
    /// and output transform of one 32-channel panel at a time); with AVX-512 (the channel tiles or im2col otherwise).
    /// </summary>
    WinogradLargeKernel,

    /// <summary>
    /// A conv from at most 4 input channels (an RGB or gray stem): direct, in 8-channel x 3-row x 16-column register
    /// tiles (vectors along output columns) over the whole C R S depth, the taps read from the padded, phase-split
    /// input copy, the bias and epilogue applied per item, split over bands of output rows; with AVX-512 (the channel
    /// tiles or im2col otherwise).
    /// </summary>
    ShallowDirect,

    /// <summary>
    /// An inference 1x1 expansion conv (<see cref="Pointwise"/>'s tiles) and the depthwise conv that alone reads it, in one
    /// pass (<see cref="ConvolutionAlgorithm.ExpandDepthwiseApplies"/>): per work item a band of rows and a group of
    /// 8-channel panels, each panel's expanded rows computed into the worker's scratch and read from there (L2) by the
    /// depthwise row kernel, so the expanded tensor never goes through memory.
    /// </summary>
    ExpandDepthwise,
}

/// <summary>
/// The CPU device's choice of kernel for a convolution pass, from the layer's geometry alone. One source compiled into
/// both the generator (which names the choice in a comment next to each conv call) and the runtime (whose CPU device
/// dispatches on it), so the comment cannot drift from what runs. Arguments are <c>ConvGeometry</c>'s fields.
/// </summary>
internal static class ConvolutionAlgorithm
{
    /// <summary>Output columns one forward work item covers at most (a multiple of the GEMM's 32-column panel).</summary>
    public const int ColumnChunk = 256;

    /// <summary>The GEMM's panel widths: rows (MR) and columns (NR).</summary>
    public const int PanelRows = 8, PanelColumns = 32;

    /// <summary>
    /// Fewest input and output channels for Winograd: its tile transforms cost about 30 adds per tile and channel
    /// against 16 K multiply-adds saved per tile and input channel, so below this the transforms and the extra passes
    /// over memory eat the saving.
    /// </summary>
    public const int WinogradMinChannels = 32;

    /// <summary>Most stride per axis the phase split takes; most dY channels it takes at any size; dx plane from which it takes twice that.</summary>
    public const int MaxPhaseStride = 8, MaxShallowDepth = 32, LargePlane = 4096;

    /// <summary>
    /// Fewest dY channels for which strided backward data takes the phase split at any plane size: each phase's
    /// sub-conv is then at least 128 deep, where col2im multiplies every tap's column and adds it back in a second
    /// pass. ResNet-18's stride-2 3x3 convs at batch 8 (dY 128x28x28, 256x14x14, 512x7x7; `passes "k3 s2"`, one
    /// thread's CPU time, by process): 7.6-8.3 ms by col2im, 5.5-6.0 ms split (0.70-0.74x). From 65 to 127 channels
    /// nothing was measured, and the U-net's 64-channel geometries measured faster by col2im, so those keep the rules above.
    /// </summary>
    public const int DeepPhaseChannels = 128;

    /// <summary>
    /// Whether an image's output is smaller than a column chunk and would waste more than an eighth of its 32-wide
    /// panels (64 positions fill two panels exactly, so such a conv keeps its per-image GEMMs).
    /// </summary>
    public static bool SmallOutput(int outH, int outW)
    {
        int p = outH * outW, padded = (p + PanelColumns - 1) / PanelColumns * PanelColumns;
        return p < ColumnChunk && (padded - p) * 8 > padded;
    }

    /// <summary>The kernel of the forward pass (also a transposed conv's input gradient).</summary>
    public static ConvKernel Forward(int inChannels, int inH, int inW, int outChannels, int outH, int outW,
        int kernelH, int kernelW, int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW, int groups)
    {
        if (groups > 1) return Grouped(inChannels, groups);
        if (ChooseWinograd(inChannels, outChannels) && WinogradApplies(inChannels, outChannels, outH, outW, kernelH, kernelW, strideH, strideW, dilationH, dilationW))
            return ChooseWinograd4x4(outH, outW) ? ConvKernel.Winograd4x4 : ConvKernel.Winograd;
        if (StridedWinogradApplies(inChannels, outChannels, outH, outW, kernelH, kernelW, strideH, strideW, dilationH, dilationW)) return ConvKernel.StridedWinograd;
        if (LargeWinogradApplies(inChannels, outChannels, outH, outW, kernelH, kernelW, strideH, strideW, dilationH, dilationW)) return ConvKernel.WinogradLargeKernel;
        if (PointwiseApplies(inChannels, inH, inW, outChannels, outH, outW, kernelH, kernelW, strideH, strideW, padTop, padLeft)) return ConvKernel.Pointwise;
        if (ShallowDirectApplies(inChannels, outChannels, outW, kernelH, kernelW)) return ConvKernel.ShallowDirect;
        return GemmKernel(inChannels, inH, inW, outChannels, outH, outW, kernelH, kernelW, strideH, strideW, padTop, padLeft);
    }

    /// <summary>
    /// What <see cref="Forward"/> takes past its Winograd and pointwise kernels, and what runs where those do not (no
    /// AVX-512, or weights packed for none of them): the channel tiles, the batch's columns on small planes, 1x1 as a
    /// GEMM on the input, or im2col + GEMM.
    /// </summary>
    public static ConvKernel GemmKernel(int inChannels, int inH, int inW, int outChannels, int outH, int outW,
        int kernelH, int kernelW, int strideH, int strideW, int padTop, int padLeft)
    {
        if (ChannelTilesApply(inChannels * kernelH * kernelW, outChannels)) return ConvKernel.ChannelTiles;
        if (SmallOutput(outH, outW)) return ConvKernel.BatchColumnsGemm;
        // The padded copy of such a conv is x itself, so the GEMM's B panels are packed straight from x.
        if (kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0 && outH == inH && outW == inW)
            return ConvKernel.Gemm1x1;
        return ConvKernel.Im2colGemm;
    }

    /// <summary>Most input channels for <see cref="ConvKernel.ShallowDirect"/>: an RGB(A) or gray image.</summary>
    public const int MaxShallowChannels = 4;

    /// <summary>Fewest output channels (one 8-channel block filled) and output columns (one 16-wide vector) for <see cref="ConvKernel.ShallowDirect"/>.</summary>
    public const int MinShallowOutChannels = 8, MinShallowOutWidth = 16;

    /// <summary>
    /// Whether a conv runs as <see cref="ConvKernel.ShallowDirect"/>: at most <see cref="MaxShallowChannels"/> input
    /// channels, at least <see cref="MinShallowOutChannels"/> output channels and <see cref="MinShallowOutWidth"/>
    /// output columns, and a window of at least 9 taps (a 1x1 takes the pointwise tiles); any stride, padding and
    /// dilation. Such a conv is only C R S = 9-196 deep, which the im2col GEMM's panels and the channel tiles' transposing
    /// store paid for per output. In-process A/B (`kernel-ab 1 20 stem`, one thread's CPU time, hot, on the loaded
    /// machine) against the im2col GEMM and the channel tiles: 0.78x / 0.81x on MobileNetV2's 3x224x224 -> 32 3x3/2,
    /// 0.91x / 0.93x on ResNet's 7x7/2 -> 64 (107 GFLOP/s), 0.80x / 0.87x on the U-net's 1x157x157 -> 32 5x5/2 (W3,
    /// batch 8: 0.82x), 0.60x on W4's at 1565x1565, 0.70x on W2's LeNet 1x280x280 -> 20 5x5, 0.87x on 3x99x99 -> 24
    /// 5x5 and 0.58x on 1x61x61 -> 16 3x3 (held-apart shapes), and 0.94x on W1's LeNet 1x28x28 -> 20 at batch 64
    /// (24 columns fill 24 of 32 lanes, 20 channels 20 of 24). In the networks as they run (`profile W5/W6/W3`, one
    /// thread, against `profile ... shallow-off`): W6's stem + Relu6 0.70x, W5's 0.86-0.90x, W3's 0.73x.
    /// </summary>
    public static bool ShallowDirectApplies(int inChannels, int outChannels, int outW, int kernelH, int kernelW) =>
        inChannels <= MaxShallowChannels && outChannels >= MinShallowOutChannels && outW >= MinShallowOutWidth && kernelH * kernelW >= 9;

    /// <summary>Output positions of a full pointwise tile (<see cref="ConvKernel.Pointwise"/>): three 16-wide vectors.</summary>
    public const int PointwisePositions = 48;

    /// <summary>
    /// Whether a plane of <paramref name="positions"/> runs as long pointwise tiles of 49 positions (three vectors and a
    /// column of 8 sums in a ymm register): where 49 tiles it exactly and 48 leaves a part-filled vector (7x7: 49 = 48 + 1
    /// ran a last tile of 1 in 16 lanes; 14x14: 196 = 4 x 48 + 4).
    /// </summary>
    public static bool LongPointwiseTiles(long positions) => positions % (PointwisePositions + 1) == 0 && positions % 16 != 0;

    /// <summary>
    /// Fewest output positions per image for the pointwise tiles at any channel counts (four 16-wide vectors filled);
    /// from <see cref="MinPointwisePositions"/> on (a 7x7 plane fills 49 of 64 lanes) only when they do not narrow the
    /// channels. In-process A/B (CPU time of one thread, with the epilogue, `Strider.Benchmarks pointwise 1`): 0.29-0.86x
    /// the 1x1 GEMM on MobileNetV2's 16 -> 96 at 112x112 ... 32 -> 192 at 28x28, 0.41-0.62x the channel tiles on
    /// 64 -> 384 and 96 -> 576 at 14x14 and 144 -> 32, 192 -> 32 at 28x28, 0.90x on 7x7 expansions (160 -> 960), but
    /// 1.14-1.46x on 7x7 projections (576 -> 160, 960 -> 160, 960 -> 320), where the tiles fill every lane.
    /// </summary>
    public const int FullPointwisePositions = 64;

    /// <summary>Fewest output positions per image for the pointwise tiles (see <see cref="FullPointwisePositions"/>).</summary>
    public const int MinPointwisePositions = 49;

    /// <summary>
    /// Most input channels for the pointwise tiles where the channel tiles apply too. Deeper ones read their 48-position
    /// input tile from L2 for every 8 output channels, where the channel tiles read each input once per 32: in W6 as it
    /// runs (`profile W6`, one thread, cold weights and inputs) 384 -> 64, 384 -> 96, 576 -> 96 at 14x14 and 320 -> 1280
    /// at 7x7 took 1.05-1.15x the channel tiles' time (0.83-0.92x hot in the A/B), 192 -> 64 about the same.
    /// </summary>
    public const int MaxPointwiseDepth = 160;

    /// <summary>
    /// Most bytes of an image's input for long pointwise tiles deeper than <see cref="MaxPointwiseDepth"/>. In-process
    /// A/B (one thread, hot, `Strider.Benchmarks pointwise-span 1`) they ran 111-116 GFLOP/s against a measured 116 GFLOP/s
    /// zmm FMA peak, 0.70-0.87x the channel tiles' CPU time on all of W6's 1x1 convs at 14x14 and 7x7; in W6 as it runs
    /// (`profile W6`, cold) 0.69-0.88x on the 7x7 ones (960 x 49 inputs, 188 KB) but 0.99-1.04x on 384 -> 64, 384 -> 96
    /// and 576 -> 96 at 14x14 (300-450 KB, read from L2 once per 8 output channels), which keep the channel tiles.
    /// </summary>
    public const int LongTileInputBytes = 256 * 1024;

    /// <summary>
    /// Whether the pointwise tiles apply: a 1x1 stride-1 unpadded conv (the output is the input's plane) on planes of at
    /// least <see cref="FullPointwisePositions"/> positions, or of at least <see cref="MinPointwisePositions"/> when
    /// there are at least as many output channels as input channels; and at most <see cref="MaxPointwiseDepth"/> input
    /// channels unless the channel tiles do not apply (MobileNetV2's 144 -> 24 at 56x56 ran 0.66x the 1x1 GEMM's time);
    /// at any channel counts on planes of <see cref="LongPointwiseTiles"/>, which fill every lane, at any depth while an
    /// image's input is at most <see cref="LongTileInputBytes"/>.
    /// </summary>
    public static bool PointwiseApplies(int inChannels, int inH, int inW, int outChannels, int outH, int outW, int kernelH, int kernelW,
        int strideH, int strideW, int padTop, int padLeft)
    {
        if (kernelH != 1 || kernelW != 1 || strideH != 1 || strideW != 1 || padTop != 0 || padLeft != 0 || outH != inH || outW != inW) return false;
        long positions = (long)outH * outW;
        if (LongPointwiseTiles(positions) && (inChannels <= MaxPointwiseDepth || positions * inChannels * sizeof(float) <= LongTileInputBytes)) return true;
        if (inChannels > MaxPointwiseDepth && ChannelTilesApply(inChannels, outChannels)) return false;
        return positions >= FullPointwisePositions || (positions >= MinPointwisePositions && outChannels >= inChannels);
    }

    /// <summary>
    /// Fewest positions of the expanded plane for <see cref="ConvKernel.ExpandDepthwise"/>: MobileNetV2's 28x28 and
    /// larger expansions (16 -> 96 at 112x112, 24 -> 144 at 56x56, 32 -> 192 at 28x28), whose expanded tensors (0.6-4.8
    /// MB) went through L3 between the two ops. Smaller planes keep the two ops: the depthwise conv's flat path (14x14,
    /// 7x7) has no row kernel to share the scratch with.
    /// </summary>
    public const int MinExpandDepthwisePositions = 28 * 28;

    /// <summary>
    /// Fewest positions of the depthwise conv's output for <see cref="ConvKernel.ExpandDepthwise"/>: smaller ones (up to
    /// 256, 16x16) take the depthwise conv's flat path, which the fused pass's row kernel does not match. One thread's
    /// profile of W6 (`profile W6 all` and `... separate all`): 32 -> 192 at 28x28 then stride 2 to 14x14 took 0.163 ms
    /// fused against 0.093 + 0.038 ms as two ops.
    /// </summary>
    public const int MinExpandDepthwiseOutputs = 257;

    /// <summary>
    /// Whether an inference 1x1 expansion conv (inChannels -> expandChannels on an h x w plane) and the depthwise conv
    /// that alone reads it (one channel per group, kernel, stride, padding as given, undilated) run as one
    /// <see cref="ConvKernel.ExpandDepthwise"/> pass: the expansion takes the pointwise tiles (<see cref="PointwiseApplies"/>),
    /// the plane has at least <paramref name="minPositions"/> positions (<see cref="MinExpandDepthwisePositions"/>; the
    /// runtime's A/B passes others) and the depthwise output at least <see cref="MinExpandDepthwiseOutputs"/> (fewer
    /// where the A/B's threshold is lower), and the depthwise stride is 1 or 2.
    /// </summary>
    public static bool ExpandDepthwiseApplies(int inChannels, int h, int w, int expandChannels, int outH, int outW, int kernelH, int kernelW,
        int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW, int minPositions = MinExpandDepthwisePositions) =>
        PointwiseApplies(inChannels, h, w, expandChannels, h, w, 1, 1, 1, 1, 0, 0) && (long)h * w >= minPositions
        && (long)outH * outW >= System.Math.Min(minPositions, MinExpandDepthwiseOutputs)
        && strideH is 1 or 2 && strideW is 1 or 2 && dilationH == 1 && dilationW == 1 && kernelH >= 1 && kernelW >= 1
        && padTop >= 0 && padLeft >= 0 && padTop < kernelH && padLeft < kernelW;

    /// <summary>Output channels of a channel tile (<see cref="ConvKernel.ChannelTiles"/>), and of its narrow form for a last panel.</summary>
    public const int TileChannels = 32, NarrowTileChannels = 16;

    /// <summary>Fewest multiply-adds per output (C R S) for the channel tiles: their transposing store is paid once per output.</summary>
    public const int MinTileDepth = 64;

    /// <summary>
    /// Whether the channel tiles apply: at least <see cref="MinTileDepth"/> multiply-adds per output (a 1x1 conv from 24
    /// or 32 channels measured 16% slower than the GEMM, from 64 even, the 3x3 convs from 64 channels 7-40% faster) and
    /// at most an eighth of the lanes wasted on channels past the last (panels are 32 or, last, 16 channels wide): 16,
    /// 32, 72 or 136 output channels, not LeNet's 6 (the im2col GEMM's 8-row panels fit those).
    /// </summary>
    public static bool ChannelTilesApply(int depth, int outChannels)
    {
        if (depth < MinTileDepth) return false;
        int padded = (outChannels + NarrowTileChannels - 1) / NarrowTileChannels * NarrowTileChannels;
        return (padded - outChannels) * 8 <= padded;
    }

    /// <summary>
    /// Fewest input and output channels for <see cref="Forward"/> to pick Winograd where it applies, unless its weights
    /// are few enough for the fused pass. Measured (CPU time of one thread, in-process A/B on the loaded 2-core machine)
    /// against the channel tiles: 0.65-0.67x at 96x28x28, 128x28x28 and 256x14x14 at batch 1, 0.56-0.77x on the U-net's
    /// 128- and 512-channel convs, but 1.03x for 128 -> 64 channels at batch 8 (its transformed input and products pass
    /// through memory).
    /// </summary>
    public const int WinogradChosenChannels = 96;

    /// <summary>
    /// Most weights (output channels rounded up to a tile's 32, times input channels) for Winograd's fused pass, which
    /// keeps a block's transformed input and products in L2: at 64 x 64 channels 0.73x the channel tiles on 56x56 at
    /// batch 1, 0.77x at batch 8, 0.66x on a 198x198 output (three passes over memory: 1.0-1.14x).
    /// </summary>
    public const int WinogradFusedWeights = 64 * 64;

    /// <summary>
    /// Whether <see cref="Forward"/> picks Winograd where it applies: at least <see cref="WinogradChosenChannels"/>
    /// channels each way, or at least 64 each way with weights the fused pass takes (ResNet's 64-channel 3x3 convs).
    /// </summary>
    public static bool ChooseWinograd(int inChannels, int outChannels) =>
        (inChannels >= WinogradChosenChannels && outChannels >= WinogradChosenChannels)
        || (inChannels >= 64 && outChannels >= 64 && (long)(outChannels + TileChannels - 1) / TileChannels * TileChannels * inChannels <= WinogradFusedWeights);

    /// <summary>
    /// Most weights (output channels rounded up to a tile's 32, times input channels) for Winograd F(4x4, 3x3)'s fused
    /// pass. In-process A/B (one thread's CPU time, `kernel-ab 1 15 "3x3 128x28x28" winograd 8`): ResNet's 128x28x28 at
    /// batch 8 took 7.4-7.6 ms fused against 9.4-9.9 ms in three passes (F(2x2, 3x3): 12.1-12.9), the same at batch 1;
    /// 256x14x14 took 12.3 ms fused against 11.6 in three passes.
    /// </summary>
    public const int Winograd4x4FusedWeights = 128 * 128;

    /// <summary>Fewest output positions per image for <see cref="ChooseWinograd4x4"/>.</summary>
    public const int Winograd4x4MinPositions = 28 * 28;

    /// <summary>
    /// Whether a conv that takes Winograd takes F(4x4, 3x3) rather than F(2x2, 3x3): on output planes of at least
    /// <see cref="Winograd4x4MinPositions"/> positions. In-process A/B (one thread's CPU time, `kernel-ab 1 15 "3x3 64x56x56"
    /// winograd 1`, and batch 8, weights written every call as in training), F(4x4) / F(2x2): ResNet's 64x56x56 0.58-0.60x at
    /// batch 1, 0.65-0.67x at batch 8; 128x28x28 0.70-0.76x and 0.79-0.83x; but 256x14x14 1.04-1.12x and 1.0-1.24x, 512x7x7
    /// 1.35x and 0.92-1.34x (4 or 16 tiles a plane fill a quarter of the transforms' 16-tile vectors, and U is 2.25x larger).
    /// </summary>
    public static bool ChooseWinograd4x4(int outH, int outW) => (long)outH * outW >= Winograd4x4MinPositions;

    /// <summary>
    /// Fewest 2x2 tiles an image for Winograd: 16, a 7x7 or 8x8 plane, which its GEMMs run as one square channel tile
    /// of 16 positions (ResNet-18's 512x7x7 convs at batch 1: 0.86-0.93x the channel tiles' CPU time on one thread,
    /// bound by reading U, 16.8 MB, where the tiles read 9.4 MB of weights). Fewer tiles waste more of the tile.
    /// </summary>
    public const int WinogradMinTiles = 16;

    /// <summary>
    /// Where Winograd F(2x2, 3x3) could pay: it multiplies 16 times per 2x2 tile where im2col + GEMM multiplies 36
    /// (2.25x less GEMM work; 1.72x on a 7x7 plane, whose 16 tiles cover 8x8), so only 3x3 stride-1 undilated convs
    /// where the GEMM dominates (enough channels each way) and with at least <see cref="WinogradMinTiles"/> tiles an image.
    /// </summary>
    public static bool WinogradApplies(int inChannels, int outChannels, int outH, int outW,
        int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW) =>
        kernelH == 3 && kernelW == 3 && strideH == 1 && strideW == 1 && dilationH == 1 && dilationW == 1
        && inChannels >= WinogradMinChannels && outChannels >= WinogradMinChannels && (outH + 1) / 2 * ((outW + 1) / 2) >= WinogradMinTiles;

    /// <summary>
    /// Least harmonic mean of the input and output channels, 2 C K / (C + K), for <see cref="ConvKernel.WinogradLargeKernel"/>:
    /// the GEMM work it saves grows as C K a tile, its transforms as C + K. In-process A/B (`kernel-ab 1 8 "5x5 "`,
    /// `kernel-ab 1 8 LeNet`, one thread's CPU time, against the channel tiles): LeNet's 50 -> 500 4x4 on 67x67 (harmonic
    /// mean 91) 0.65x, 64 -> 64 5x5 on 64x64 (64) 0.79x; but 32 -> 64 4x4 on 33x33 (43) 0.95x, 40 -> 72 5x5 on 33x33
    /// (51) 1.10x, and LeNet's 20 -> 50 5x5 on 138x138 (29) 1.01x (and 1.07x im2col, which it keeps).
    /// </summary>
    public const int LargeWinogradMinChannels = 64;

    /// <summary>
    /// Where Winograd F(2x2, r x r) runs: square 4x4 or 5x5 kernels, stride 1, undilated, channels whose harmonic
    /// mean is at least <see cref="LargeWinogradMinChannels"/>, and at least <see cref="WinogradMinTiles"/> 2x2 tiles
    /// an image. It multiplies (r + 1)^2 times per tile where the direct conv multiplies 4 r^2 (2.56x less GEMM work
    /// at 4x4, 2.78x at 5x5).
    /// </summary>
    public static bool LargeWinogradApplies(int inChannels, int outChannels, int outH, int outW,
        int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW) =>
        kernelH == kernelW && (kernelH == 4 || kernelH == 5) && strideH == 1 && strideW == 1 && dilationH == 1 && dilationW == 1
        && 2L * inChannels * outChannels >= (long)LargeWinogradMinChannels * (inChannels + outChannels)
        && (outH + 1) / 2 * ((outW + 1) / 2) >= WinogradMinTiles;

    /// <summary>The kernel of the backward-data pass (also a transposed conv's forward).</summary>
    public static ConvKernel BackwardData(int inChannels, int inH, int inW, int outChannels, int outH, int outW,
        int kernelH, int kernelW, int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW, int groups)
    {
        if (groups > 1) return Grouped(inChannels, groups);
        if (FlippedForwardApplies(inH, inW, outH, outW, kernelH, kernelW, strideH, strideW, padTop, padLeft, dilationH, dilationW)) return ConvKernel.FlippedForward;
        if (PhaseWinogradApplies(inChannels, inH, inW, outChannels, outH, outW, kernelH, kernelW, strideH, strideW, padTop, padLeft, dilationH, dilationW))
            return ConvKernel.PhaseWinograd;
        if (PhaseSplitApplies(inChannels, inH, inW, outChannels, outH, outW, kernelH, kernelW, strideH, strideW, padTop, padLeft, dilationH, dilationW))
            return ConvKernel.PhaseSplit;
        return SmallOutput(outH, outW) ? ConvKernel.BatchColumnsCol2im : ConvKernel.GemmCol2im;
    }

    /// <summary>Bands a <see cref="ConvKernel.GemmCol2im"/> cuts dY's rows into where <see cref="ColumnBandsApply"/> (two passes of 8: both workers busy with items to spare).</summary>
    public const int ColumnBands = 16;

    /// <summary>Most dx planes (images x channels) a strided col2im runs by row bands; more give the workers items enough.</summary>
    public const int ColumnBandMaxPlanes = 2;

    /// <summary>
    /// Whether a strided <see cref="ConvKernel.GemmCol2im"/> over <paramref name="dxPlanes"/> dx planes (images x input
    /// channels) runs by bands of dY rows instead of one item per (image, channel block): few dx planes and large dY
    /// planes (the U-net's 1-channel deconv was one item, so one core). It depends on the geometry and batch only, not
    /// on the workers, so one thread takes the same path, and gives the same bits, as two.
    /// </summary>
    public static bool ColumnBandsApply(long dxPlanes, int outH, int outW, int strideW) =>
        strideW > 1 && dxPlanes <= ColumnBandMaxPlanes && outH >= 2 * ColumnBands && (long)outH * outW >= 8L * ColumnBands * ColumnChunk;

    /// <summary>
    /// Whether stride-1 backward data runs as a forward conv of dY with flipped weights: stride 1 both ways, padding
    /// at most the dilated kernel's extent less one (the mirrored padding, (kernel - 1) dilation - pad, is not negative),
    /// and dx at most an eighth larger than dY: the forward multiplies every dx position by every tap, so it does
    /// dx/dY times the work of col2im, whose taps that land in the padding are skipped (LeNet's 5x5 on 12x12 -> 8x8 is
    /// 2.25x, its 4x4 -> 1x1 16x: measured 2.9x and 13x slower). A stride-1 col2im GEMM is only as deep as the K output
    /// channels and adds every tap's column back by a second pass; the forward is K R S deep and writes each dx value
    /// once (ResNet-18's 3x3 pad-1 convs at batch 8: 12-28% less CPU time).
    /// </summary>
    public static bool FlippedForwardApplies(int inH, int inW, int outH, int outW,
        int kernelH, int kernelW, int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW) =>
        strideH == 1 && strideW == 1 && padTop >= 0 && padLeft >= 0
        && padTop <= (kernelH - 1) * dilationH && padLeft <= (kernelW - 1) * dilationW
        && (long)inH * inW * 8 <= (long)outH * outW * 9;

    /// <summary>
    /// The forward kernel a <see cref="ConvKernel.FlippedForward"/> backward data runs on: the forward's choice for the
    /// flipped geometry (dY's channels and plane in, dx's out, stride 1, the padding mirrored), so a ResNet 3x3 conv's
    /// backward data takes Winograd or the channel tiles as its forward does. Arguments are the conv's own geometry.
    /// </summary>
    public static ConvKernel FlippedForwardKernel(int inChannels, int inH, int inW, int outChannels, int outH, int outW,
        int kernelH, int kernelW, int padTop, int padLeft, int dilationH, int dilationW)
    {
        int flippedTop = (kernelH - 1) * dilationH - padTop, flippedLeft = (kernelW - 1) * dilationW - padLeft;
        var kernel = Forward(outChannels, outH, outW, inChannels, inH, inW, kernelH, kernelW, 1, 1, flippedTop, flippedLeft, dilationH, dilationW, 1);
        // The flipped weights are packed for Winograd F(2x2,3x3) and F(4x4,3x3), the channel tiles and the GEMM only: a 1x1
        // whose forward takes the pointwise tiles, a 4x4 or 5x5 that takes F(2x2, r x r), or one from few dY channels
        // that takes the shallow direct tiles, runs on what it would take without them.
        return kernel is ConvKernel.Pointwise or ConvKernel.WinogradLargeKernel or ConvKernel.ShallowDirect
            ? GemmKernel(outChannels, outH, outW, inChannels, inH, inW, kernelH, kernelW, 1, 1, flippedTop, flippedLeft)
            : kernel;
    }

    private static ConvKernel Grouped(int inChannels, int groups) =>
        inChannels == groups ? ConvKernel.DepthwiseDirect : ConvKernel.GroupedDirect;

    /// <summary>
    /// Whether strided backward data runs as stride-phase sub-convolutions: dilation 1, a stride above 1, every phase
    /// with outputs has taps and no cropping at its start, at least a GEMM panel of dx channels (a sub-conv's rows; the
    /// U-net's 1-channel input would fill 1 of 8), and either a shallow col2im GEMM (at most 32 dY channels), or large
    /// dx planes or small dY planes with at most 64 dY channels (the U-net's 17x17 -> 37x37 with 64 channels measured
    /// 10% faster with col2im, its 95x95 -> 193x193 20% slower and its 7x7 -> 17x17 12% slower).
    /// </summary>
    public static bool PhaseSplitApplies(int inChannels, int inH, int inW, int outChannels, int outH, int outW,
        int kernelH, int kernelW, int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW)
    {
        if (dilationH != 1 || dilationW != 1 || (strideH == 1 && strideW == 1)) return false;
        bool deep = outChannels >= DeepPhaseChannels;
        if (inChannels < PanelRows || outChannels > 2 * MaxShallowDepth && !deep) return false;
        // Small dY planes (the batched col2im's scalar scatter) take the split at up to 64 channels at any dx size:
        // measured 12-25% faster on 7x7 -> 17x17 (64 and 32 channels) and 9x9 -> 21x21 (16 channels).
        if (outChannels > MaxShallowDepth && !deep && (long)inH * inW < LargePlane && !SmallOutput(outH, outW)) return false;
        if (strideH > MaxPhaseStride || strideW > MaxPhaseStride || padTop < 0 || padLeft < 0) return false;
        for (int rh = 0; rh < strideH; rh++)
        {
            var h = PhaseAxis(rh, strideH, kernelH, padTop, inH);
            if (h.Count > 0 && (h.Taps == 0 || h.Pad < 0)) return false;
        }
        for (int rw = 0; rw < strideW; rw++)
        {
            var w = PhaseAxis(rw, strideW, kernelW, padLeft, inW);
            if (w.Count > 0 && (w.Taps == 0 || w.Pad < 0)) return false;
        }
        return true;
    }

    /// <summary>
    /// Whether a strided forward conv runs as <see cref="ConvKernel.StridedWinograd"/>: undilated, a stride above 1 with
    /// the kernel three strides wide each way (5x5 or 6x6 at stride 2), output planes of at least <see cref="LargePlane"/>
    /// positions, and stride^2 x C input channels by K output channels as <see cref="PhaseWinogradApplies"/> asks.
    /// In-process A/B (`kernel-ab 1 6 "U-net "`, one thread's CPU time): the U-net's 32x781x781 -> 32x389x389 as a 3x3
    /// conv of 128 phase channels took 0.58x the channel tiles' time on those channels (75.6 ms; the channel tiles on the
    /// strided conv itself took 110 ms). W3's small planes are not measured, so they keep the channel tiles.
    /// </summary>
    public static bool StridedWinogradApplies(int inChannels, int outChannels, int outH, int outW,
        int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW)
    {
        if (dilationH != 1 || dilationW != 1 || strideH < 2 || strideW < 2 || strideH > MaxPhaseStride || strideW > MaxPhaseStride) return false;
        if ((kernelH + strideH - 1) / strideH != 3 || (kernelW + strideW - 1) / strideW != 3 || (long)outH * outW < LargePlane) return false;
        long channels = (long)strideH * strideW * inChannels;
        return channels <= int.MaxValue && WinogradApplies((int)channels, outChannels, outH, outW, 3, 3, 1, 1, 1, 1)
            && (outChannels + TileChannels - 1) / TileChannels * TileChannels * channels <= WinogradFusedWeights;
    }

    /// <summary>
    /// Whether strided backward data runs as one Winograd conv of dY (<see cref="ConvKernel.PhaseWinograd"/>): where the
    /// phase split applies, on dY planes of at least <see cref="LargePlane"/> positions, with every phase's taps inside
    /// one common 3x3 window (<see cref="PhaseWindow"/>), and stride^2 x dx channels by dY channels few enough for
    /// Winograd's fused pass (<see cref="WinogradFusedWeights"/>) and many enough for <see cref="WinogradApplies"/>.
    /// In-process A/B (`kernel-ab 1 6 "U-net "`, one thread's CPU time): the U-net's 32x389x389 -> 32x781x781 as one
    /// 3x3 conv to 128 channels took 0.75x the channel tiles' time and 0.69x the im2col GEMM's (the phase split's).
    /// W3's small planes (37x37 and less at batch 8) are not measured, so they keep the phase split.
    /// </summary>
    public static bool PhaseWinogradApplies(int inChannels, int inH, int inW, int outChannels, int outH, int outW,
        int kernelH, int kernelW, int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW)
    {
        if ((long)outH * outW < LargePlane
            || !PhaseSplitApplies(inChannels, inH, inW, outChannels, outH, outW, kernelH, kernelW, strideH, strideW, padTop, padLeft, dilationH, dilationW))
            return false;
        var h = PhaseWindow(strideH, kernelH, padTop, inH);
        var w = PhaseWindow(strideW, kernelW, padLeft, inW);
        long channels = (long)strideH * strideW * inChannels;
        return h.Size == 3 && w.Size == 3 && channels <= int.MaxValue
            && WinogradApplies(outChannels, (int)channels, h.Count, w.Count, 3, 3, 1, 1, 1, 1)
            && (channels + TileChannels - 1) / TileChannels * TileChannels * outChannels <= WinogradFusedWeights;
    }

    /// <summary>
    /// The stride phases' common window along one axis: its size (from the earliest dY offset any phase reads to the
    /// latest), its padding (the largest phase padding), and the most outputs of a phase.
    /// </summary>
    public static (int Size, int Pad, int Count) PhaseWindow(int stride, int kernel, int pad, int inSize)
    {
        int lo = int.MaxValue, hi = int.MinValue, count = 0;
        for (int r = 0; r < stride; r++)
        {
            var a = PhaseAxis(r, stride, kernel, pad, inSize);
            if (a.Count == 0) continue;
            lo = System.Math.Min(lo, -a.Pad);
            hi = System.Math.Max(hi, a.Taps - 1 - a.Pad);
            count = System.Math.Max(count, a.Count);
        }
        return count == 0 ? (0, 0, 0) : (hi - lo + 1, -lo, count);
    }

    /// <summary>Phase (residue r of the dx coordinate) layout along one axis: taps, first tap, outputs, sub-conv padding.</summary>
    public static (int Taps, int First, int Count, int Pad) PhaseAxis(int residue, int stride, int kernel, int pad, int inSize)
    {
        // Taps k with (residue + pad - k) % stride == 0, i.e. k = phase + stride t.
        int phase = (residue + pad) % stride;
        int taps = phase < kernel ? (kernel - phase + stride - 1) / stride : 0;
        int count = residue < inSize ? (inSize - residue + stride - 1) / stride : 0;
        // Output i of the phase reads dY at (residue + pad - phase) / stride + i - t; flipped taps make it a correlation.
        int j0 = (residue + pad - phase) / stride;
        return (taps, phase, count, taps - 1 - j0);
    }

    /// <summary>A flipped-forward backward data in words, with the forward kernel it runs on (<see cref="FlippedForwardKernel"/>).</summary>
    public static string DescribeFlipped(ConvKernel forwardKernel) => Describe(ConvKernel.FlippedForward) + ", on " + Describe(forwardKernel)
        + (forwardKernel is ConvKernel.Winograd or ConvKernel.Winograd4x4 ? "; below 256 tiles in the batch on the channel tiles" : "");

    /// <summary>The kernel in words, as the generated code's comment names it.</summary>
    public static string Describe(ConvKernel kernel) => kernel switch
    {
        ConvKernel.Im2colGemm => "im2col + GEMM, split over output positions",
        ConvKernel.Winograd => "Winograd F(2x2,3x3) with channel-tile GEMMs, split over tiles (fused per block of tile rows up to 64x64 weights)",
        ConvKernel.ChannelTiles => "implicit GEMM in 32-channel x 14-position register tiles (no im2col), split over channel panels and positions",
        ConvKernel.Gemm1x1 => "1x1 as GEMM on the input (no im2col), split over output positions",
        ConvKernel.Pointwise => "1x1 pointwise in 8-channel x 48-position register tiles (49 where they tile the plane) on the input in place, split over positions and channel panels",
        ConvKernel.BatchColumnsGemm => "im2col + GEMM over the batch's columns, split over output channels",
        ConvKernel.GroupedDirect => "grouped direct, split over channel planes",
        ConvKernel.DepthwiseDirect => "depthwise direct, split over channel planes (at a batch smaller than the workers, also into one band of rows per worker)",
        ConvKernel.GemmCol2im => "GEMM + col2im, split over input channels",
        ConvKernel.BatchColumnsCol2im => "GEMM over the batch's columns + col2im, split over input channels",
        ConvKernel.PhaseSplit => "stride-phase sub-convolutions (each on channel tiles where they apply, else im2col + GEMM)",
        ConvKernel.StridedWinograd => "stride phases as channels (space to depth) of one Winograd F(2x2,3x3) conv, fused per block of tile rows",
        ConvKernel.PhaseWinograd => "stride phases as one Winograd F(2x2,3x3) conv of dY (fused per block of tile rows), interleaved into dx",
        ConvKernel.WinogradLargeKernel => "Winograd F(2x2,rxr) for 4x4/5x5 with channel-tile GEMMs, fused per block of tile rows and 32-channel panel, split over blocks",
        ConvKernel.FlippedForward => "forward conv of dY with flipped weights (no col2im)",
        ConvKernel.Winograd4x4 => "Winograd F(4x4,3x3) with channel-tile GEMMs, split over tiles (fused per block of tile rows up to 128x128 weights)",
        ConvKernel.ShallowDirect => "direct for few input channels in 8-channel x 3-row x 16-column register tiles (no im2col), split over bands of output rows",
        ConvKernel.ExpandDepthwise => "1x1 expansion (pointwise register tiles) fused with the depthwise conv that reads it: per band of rows and group of 8-channel panels, each panel's expanded rows kept in the worker's scratch (L2) for the depthwise row kernel, never written out",
        _ => kernel.ToString(),
    };
}
