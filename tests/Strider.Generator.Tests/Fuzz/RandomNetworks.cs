using System.Globalization;
using System.Text;

namespace Strider.Generator.Tests.Fuzz;

/// <summary>
/// Writes random [Network] declarations that bind as C# (so the generator and analyzer see them), with every layer kind,
/// option and merge, mostly plausible and now and then deliberately broken (zero, negative, huge, unknown names, null
/// arguments, classes the generator cannot extend, the global namespace, nesting in generic types).
/// </summary>
internal sealed class RandomNetworks
{
    private static readonly string[] Activations = { "Relu", "Elu", "Sigmoid", "Tanh", "SoftSign", "Softmax", "LogSoftmax", "Log", "Exp", "BatchNorm",
        "Relu6", "LeakyRelu", "HardTanh", "Silu", "Gelu", "HardSwish", "HardSigmoid", "Softplus", "PRelu", "GroupNorm", "LayerNorm" };

    private readonly Random _random;
    private readonly List<string> _names = new();
    private readonly List<string> _pools = new();
    private readonly List<string> _convs = new();
    private int _rank;

    public RandomNetworks(int seed) => _random = new Random(seed);

    /// <summary>One file: a partial class named <paramref name="className"/> in <paramref name="ns"/>.</summary>
    public string Next(string ns, string className)
    {
        _names.Clear();
        _pools.Clear();
        _convs.Clear();
        var attributes = new List<string> { "Network", Input() };
        int layers = _random.Next(1, 8);
        for (int i = 0; i < layers; i++) attributes.Add(Layer(i));

        // Now and then a class the generator cannot extend or one in an unusual place (global namespace, nested, generic container).
        var sb = new StringBuilder("using Strider;\n\n");
        if (!Chance(0.02)) sb.Append("namespace ").Append(ns).Append(";\n\n");
        string? outer = Chance(0.03) ? "public partial class Outer" + className + (Chance(0.2) ? "<T>" : "") : null;
        if (outer is not null) sb.Append(outer).Append("\n{\n");
        for (int i = 0; i < attributes.Count;)
        {
            int take = Math.Min(attributes.Count - i, _random.Next(1, 4));
            sb.Append('[').Append(string.Join(", ", attributes.Skip(i).Take(take))).Append("]\n");
            i += take;
        }
        double shape = _random.NextDouble();
        string declaration = shape < 0.01 ? "public class " : shape < 0.015 ? (outer is null ? "file partial class " : "private partial class ")
            : shape < 0.02 ? "public partial record " : shape < 0.025 ? "public abstract partial class " : "public partial class ";
        sb.Append(declaration).Append(className).Append(shape >= 0.025 && shape < 0.03 ? "<T>" : "").Append(";\n");
        if (outer is not null) sb.Append("}\n");
        return sb.ToString();
    }

    private bool Chance(double p) => _random.NextDouble() < p;

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private static string Text(int v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>A size-like argument: usually small, sometimes zero, negative or huge.</summary>
    private int Arg(int min, int max) =>
        Chance(0.03) ? Pick(new[] { 0, -1, -7, 100000, int.MaxValue }) : _random.Next(min, max + 1);

    private string Input()
    {
        double r = _random.NextDouble();
        _rank = r < 0.1 ? 0 : r < 0.45 ? 1 : 2;
        if (Chance(0.01)) _rank = 3; // a rank the layers do not support
        var dims = new List<string> { Chance(0.02) ? "Dim.Any" : Text(Arg(1, 4)) };
        int size = _random.Next(4, 70);
        for (int a = 0; a < _rank; a++)
            dims.Add(Chance(0.15) ? "Dim.Any" : Chance(0.6) && a > 0 ? dims[1] : Text(Chance(0.5) ? size : Arg(1, 90)));
        string name = "input";
        if (Chance(0.3)) name = Chance(0.03) ? "bad name" : "x";
        _names.Add(name);
        if (Chance(0.005)) return "Input(null)";
        return "Input(" + string.Join(", ", dims) + (name == "input" ? (Chance(0.01) ? ", Name = null" : "") : ", Name = \"" + name + "\"") + ")";
    }

    private string Layer(int index)
    {
        var options = new List<string>();
        string kind;
        var args = new List<string>();
        double r = _random.NextDouble();
        if (r < 0.25) kind = "Conv";
        else if (r < 0.33) kind = "Deconv";
        else if (r < 0.43) kind = Chance(0.6) ? "MaxPool" : "AvgPool";
        else if (r < 0.63) kind = Pick(Activations);
        else if (r < 0.73) kind = Chance(0.6) ? "Add" : Chance(0.7) ? "Concat" : "Multiply";
        else if (r < 0.77) kind = "Dense";
        else if (r < 0.80) kind = "Flatten";
        else if (r < 0.83) kind = "Reshape";
        else if (r < 0.86) kind = "Permute";
        else if (r < 0.90) kind = Chance(0.5) ? "Pad" : "Crop";
        else if (r < 0.93) kind = "MaxUnpool";
        else if (r < 0.96) kind = "Dropout";
        else if (r < 0.98) kind = "Clip";
        else kind = Pick(new[] { "GlobalAvgPool", "GlobalMaxPool", "AdaptiveAvgPool", "AdaptiveMaxPool", "Upsample", "PixelShuffle", "ChannelPad", "ChannelSlice", "ChannelShuffle" });

        switch (kind)
        {
            case "Conv":
            case "Deconv":
                args.Add(Text(Arg(1, 6)));
                args.Add(Text(Arg(1, 5)));
                if (Chance(0.15)) args.Add(Text(Arg(1, 5)));
                WindowOptions(options);
                if (Chance(0.1)) options.Add("Bias = false");
                if (kind == "Deconv" && Chance(0.15)) options.Add("OutputPadding = " + Text(Arg(0, 2)));
                if (kind == "Deconv" && Chance(0.1)) options.Add("TiedTo = \"" + (_convs.Count > 0 && Chance(0.8) ? Pick(_convs) : "nowhere") + "\"");
                if (Chance(0.15)) options.Add("Groups = " + Text(Arg(0, 4)));
                break;
            case "MaxPool":
            case "AvgPool":
                args.Add(Text(Arg(1, 4)));
                if (Chance(0.1)) args.Add(Text(Arg(1, 4)));
                WindowOptions(options);
                if (Chance(0.15)) options.Add("CeilMode = true");
                if (kind == "MaxPool" && Chance(0.3)) options.Add("KeepSwitches = true");
                break;
            case "Add":
            case "Concat":
            case "Multiply":
                int count = Chance(0.05) ? _random.Next(0, 2) : _random.Next(2, 4);
                for (int i = 0; i < count; i++) args.Add(Chance(0.02) ? "null" : "\"" + NameToRead() + "\"");
                if (Chance(0.01)) { args.Clear(); args.Add("null"); }
                break;
            case "Dense": args.Add(Text(Arg(1, 10))); if (Chance(0.1)) options.Add("Bias = false"); break;
            case "Reshape":
            case "Permute":
                int n = _random.Next(1, 4);
                var values = Enumerable.Range(0, n).ToList();
                if (kind == "Permute") values = values.OrderBy(_ => _random.Next()).ToList();
                else values = values.Select(_ => Chance(0.2) ? -1 : Arg(1, 40)).ToList();
                args.AddRange(values.Select(Text));
                break;
            case "Pad":
            case "Crop":
                int amounts = Pick(new[] { 1, 2, 4, 3 });
                for (int i = 0; i < amounts; i++) args.Add(Text(Arg(0, 3)));
                break;
            case "MaxUnpool":
                if (Chance(0.9)) options.Add("Switches = \"" + (_pools.Count > 0 && Chance(0.85) ? Pick(_pools) : "nowhere") + "\"");
                break;
            case "Dropout": args.Add(Chance(0.05) ? "1.5" : "0.25"); break;
            case "Clip": args.Add(Chance(0.1) ? "1.0, -1.0" : "-1.0, 1.0"); break;
            case "Elu": if (Chance(0.3)) options.Add("Alpha = 0.5"); break;
            case "LeakyRelu": if (Chance(0.5)) args.Add(Chance(0.1) ? "-0.5f" : "0.2f"); break;
            case "HardTanh": if (Chance(0.5)) args.Add(Chance(0.1) ? "2.0, -2.0" : "-2.0, 2.0"); break;
            case "Gelu": if (Chance(0.5)) options.Add("Approximate = true"); break;
            case "PRelu": if (Chance(0.3)) options.Add("Shared = true"); break;
            case "GroupNorm": args.Add(Text(Arg(0, 4))); if (Chance(0.1)) options.Add("Epsilon = 0"); break;
            case "LayerNorm": if (Chance(0.2)) options.Add(Chance(0.3) ? "Epsilon = 0" : "Epsilon = 1e-6"); break;
            case "AdaptiveAvgPool":
            case "AdaptiveMaxPool":
            case "Upsample":
                args.Add(Text(Arg(1, 4)));
                if (Chance(0.3)) args.Add(Text(Arg(1, 4)));
                if (kind == "Upsample" && Chance(0.3)) options.Add("Mode = Upsampling.Bilinear");
                if (kind == "Upsample" && Chance(0.2)) options.Add("AlignCorners = true");
                break;
            case "PixelShuffle":
            case "ChannelShuffle":
                args.Add(Text(Arg(1, 3)));
                break;
            case "ChannelPad":
            case "ChannelSlice":
                args.Add(Text(Arg(0, 3)));
                args.Add(Text(Arg(kind == "ChannelPad" ? 0 : 1, 3)));
                break;
        }

        if (Chance(0.1) && _names.Count > 0) options.Add("From = \"" + NameToRead() + "\"");
        else if (Chance(0.01)) options.Add("From = null");
        string? name = null;
        if (Chance(0.35)) name = Chance(0.03) && _names.Count > 0 ? Pick(_names) : Chance(0.01) ? "no good" : "n" + Text(index);
        if (Chance(0.03) && !options.Any(o => o.StartsWith("From", StringComparison.Ordinal)))
            options.Add("From = \"n" + Text(index + 1) + "\""); // a forward reference (a cycle)
        if (name is null && Chance(0.01)) options.Add("Name = null");
        if (name is not null)
        {
            options.Add("Name = \"" + name + "\"");
            _names.Add(name);
            if (kind == "MaxPool" && options.Contains("KeepSwitches = true")) _pools.Add(name);
            if (kind == "Conv") _convs.Add(name);
        }
        var all = args.Concat(options).ToList();
        return all.Count == 0 ? kind : kind + "(" + string.Join(", ", all) + ")";
    }

    private string NameToRead() => _names.Count > 0 && Chance(0.95) ? Pick(_names) : "unknown";

    private void WindowOptions(List<string> options)
    {
        if (Chance(0.3)) options.Add("Stride = " + Text(Arg(1, 3)));
        if (Chance(0.05)) options.Add("Strides = new[] { " + Text(Arg(1, 3)) + ", " + Text(Arg(1, 3)) + " }");
        else if (Chance(0.01)) options.Add("Strides = null");
        if (Chance(0.15)) options.Add("Dilation = " + Text(Arg(1, 3)));
        if (Chance(0.03)) options.Add("Dilations = new[] { " + Text(Arg(1, 3)) + " }");
        double p = _random.NextDouble();
        if (p < 0.15) options.Add("Padding = Padding.Same");
        else if (p < 0.2) options.Add("Padding = Padding.Causal");
        else if (p < 0.22) options.Add("Padding = (Padding)7");
        else if (p < 0.3) options.Add("Pad = " + Text(Arg(0, 2)));
        else if (p < 0.32) options.Add("Pads = new[] { " + Text(Arg(0, 2)) + ", " + Text(Arg(0, 2)) + " }");
    }
}
