namespace Strider.Generator.Tests.Infrastructure;

/// <summary>The declarations tests share: the seed's networks.</summary>
internal static class Networks
{
    public const string LeNet = """
        using Strider;

        namespace Samples;

        [Network]
        [Input(1, 28, 28)]
        [Conv(20, 5), MaxPool(2)]
        [Conv(50, 5), MaxPool(2)]
        [Conv(500, 4), Relu]
        [Conv(10, 1), Softmax]
        public partial class LeNet;
        """;

    /// <summary>LeNet over free sizes of two-channel images with its dense (stride-1) variant.</summary>
    public const string DenseLeNet = """
        using Strider;

        namespace Samples;

        [Network(Dense = true)]
        [Input(2, Dim.Any, Dim.Any)]
        [Conv(20, 5), MaxPool(2)]
        [Conv(50, 5), MaxPool(2)]
        [Conv(500, 4), Relu]
        [Conv(10, 1), Softmax]
        public partial class DenseLeNet;
        """;

    /// <summary>The denoising U-net autoencoder at a given input size (1570 fails, 1565 fits).</summary>
    public static string Ddae(string size) => $$"""
        using Strider;

        namespace Samples;

        [Network]
        [Input(1, {{size}}, {{size}}, Name = "noisy")]
        [Conv(32, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Conv(32, 5, Stride = 2), BatchNorm, Relu(Name = "c12")]
        [Conv(64, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Conv(64, 5, Stride = 2), BatchNorm, Relu]
        [Deconv(64, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Deconv(32, 5, Stride = 2), BatchNorm, Relu(Name = "d12")]
        [Add("c12", "d12")]
        [Deconv(32, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Deconv(1, 5, Stride = 2), BatchNorm, SoftSign(Name = "d34")]
        [Add("noisy", "d34")]
        public partial class Ddae;
        """;

    public const string WaveNet = """
        using Strider;

        namespace Samples;

        [Network]
        [Input(16, 256)]
        [Conv(32, 2, Padding = Padding.Causal), Tanh]
        [Conv(32, 2, Dilation = 2, Padding = Padding.Causal), Tanh]
        [Conv(32, 2, Dilation = 4, Padding = Padding.Causal), Tanh]
        [Conv(32, 2, Dilation = 8, Padding = Padding.Causal), Tanh]
        [Conv(32, 2, Dilation = 16, Padding = Padding.Causal), Tanh]
        [Conv(8, 1), LogSoftmax]
        public partial class WaveNet;
        """;

    public const string ResNetBlock = """
        using Strider;

        namespace Samples;

        [Network]
        [Input(64, 56, 56)]
        [Conv(64, 3, Pad = 1, Bias = false), BatchNorm, Relu]
        [Conv(64, 3, Pad = 1, Bias = false), BatchNorm(Name = "bn2")]
        [Add("input", "bn2"), Relu]
        public partial class ResNetBlock;
        """;

    /// <summary>PyTorch module paths as layer names (tools/reference/dotted_names.py's module): members, Summary and ONNX names from them.</summary>
    public const string DottedNames = """
        using Strider;

        namespace Samples;

        [Network]
        [Input(3, 8, 8)]
        [Conv(4, 3, Pad = 1, Name = "features.0"), BatchNorm(Name = "features.1"), Relu(Name = "features.2")]
        [Conv(4, 3, Pad = 1, Bias = false, Name = "layer1.0.conv1"), BatchNorm(Name = "layer1.0.bn1"), Relu(Name = "layer1.0.relu")]
        [Conv(4, 3, Pad = 1, Bias = false, Name = "layer1.0.conv2"), BatchNorm(Name = "layer1.0.bn2")]
        [Add("layer1.0.bn2", "features.2", Name = "layer1.0.add"), Relu(Name = "layer1.0.relu2")]
        [GlobalAvgPool(Name = "avgpool"), Flatten(Name = "flatten"), Dropout(0.2, Name = "classifier.0"), Dense(5, Name = "classifier.1")]
        public partial class DottedNames;
        """;

    /// <summary>Two inputs (issue #13): 'extra' goes through a 1x1 conv and a BatchNorm before it is added to 'image'.</summary>
    public const string TwoInputs = """
        using Strider;

        namespace Samples;

        [Network]
        [Input(2, 4, 4, Name = "image")]
        [Input(2, 4, 4, Name = "extra")]
        [Conv(2, 1, From = "extra", Name = "lift"), BatchNorm, Relu(Name = "gate")]
        [Add("image", "gate"), Conv(3, 3, Pad = 1)]
        public partial class TwoInputs;
        """;

    /// <summary>Two inputs and two outputs (issue #13): Forward(image, mask) returns DetectorOutputs (Cls, Box).</summary>
    public const string Detector = """
        using Strider;

        namespace Samples;

        [Network]
        [Input(3, 8, 8, Name = "image")]
        [Input(1, 8, 8, Name = "mask")]
        [Concat("image", "mask", Name = "both"), Conv(4, 3, Pad = 1, Bias = false), BatchNorm, Relu(Name = "trunk")]
        [Conv(2, 1, Name = "cls")]
        [Conv(4, 1, From = "trunk", Name = "box")]
        [Output("cls", "box")]
        public partial class Detector;
        """;

    public const string Pyramid = """
        using Strider;

        namespace Samples;

        [Network]
        [Input(3, Dim.Any, Dim.Any, Name = "image")]
        [Conv(16, 3, Padding = Padding.Same, Name = "p1"), Relu]
        [MaxPool(2), Conv(32, 3, Padding = Padding.Same), Relu(Name = "p2")]
        [Deconv(16, 2, Stride = 2, Name = "up")]
        [Concat("p1", "up"), Conv(4, 1)]
        public partial class Pyramid;
        """;

    /// <summary>A ResNet downsampling block whose 1x1 projection lacks Stride = 2: STR0002, so its class is the throwing one.</summary>
    public const string ForgottenStride = """
        using Strider;

        namespace Samples;

        [Network]
        [Input(32, 56, 56)]
        [Conv(128, 3, Stride = 2, Pad = 1, Bias = false), BatchNorm(Name = "bn1"), Relu]
        [Conv(128, 1, Bias = false, Name = "proj", From = "input")]
        [Add("relu1", "proj"), Relu]
        public partial class ForgottenStride;
        """;
}
