using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Strider.Generator.Diagnostics;
using Strider.Generator.Model;

namespace Strider.Generator.Parsing;

/// <summary>Reads a [Network] class's attributes into a <see cref="NetworkSpec"/> of plain values (no symbols or syntax kept).</summary>
internal static partial class NetworkParser
{
    public const string NetworkAttributeName = "Strider.NetworkAttribute";
    public const string InputAttributeName = "Strider.InputAttribute";
    public const string OutputAttributeName = "Strider.OutputAttribute";


    /// <summary>
    /// Parses the class. Problems with the class itself (not partial, generic, a struct, a member the generator writes
    /// too, ...) go to <paramref name="diagnostics"/> and make <paramref name="emittable"/> false: its generated half
    /// would only add C# errors. An unexpected exception while reading the attributes becomes STR0099 on the class.
    /// </summary>
    public static NetworkSpec Parse(INamedTypeSymbol type, SyntaxTree declaringTree, List<DiagnosticInfo> diagnostics, out bool emittable, CancellationToken cancellationToken)
    {
        var classSyntax = type.DeclaringSyntaxReferences
            .Select(r => r.GetSyntax(cancellationToken))
            .OfType<TypeDeclarationSyntax>()
            .FirstOrDefault(s => s.SyntaxTree == declaringTree);
        var nameSpan = classSyntax is null ? SourceSpan.None : ToSpan(classSyntax.Identifier);
        string metadataName = FullMetadataName(type);
        bool caseTwin = (type.ContainingType?.GetTypeMembers() ?? type.ContainingNamespace.GetTypeMembers())
            .Any(t => t.Name != type.Name && string.Equals(t.Name, type.Name, System.StringComparison.OrdinalIgnoreCase));
        string hintName = HintNames.For(metadataName, caseTwin);

        int before = diagnostics.Count;
        CheckClass(type, nameSpan, hintName, diagnostics, cancellationToken);
        emittable = diagnostics.Count == before;

        var spec = EmptySpec(type, metadataName, nameSpan) with { HintName = hintName, TensorOverloads = emittable ? TensorOverloads(type, hintName) : EquatableArray<TensorOverload>.Empty,
                UserMembers = emittable ? UserMembers(type, hintName) : EquatableArray<UserMember>.Empty,
                HasUserBase = HasUserBase(type) };
        try
        {
            return ParseAttributes(type, declaringTree, spec, diagnostics, cancellationToken);
        }
        catch (System.Exception e) when (e is not System.OperationCanceledException)
        {
            diagnostics.Add(DiagnosticInfo.Create("STR0099", nameSpan, type.Name, e.GetType().Name + ": " + e.Message));
            return spec;
        }
    }

    /// <summary>
    /// A block declaration (a class derived from Strider.BlockAttribute) read as a network of its own: its layers with
    /// their own spans and its consts' values (the parameters' defaults), and its [Input] when it declares one.
    /// </summary>
    public static NetworkSpec ParseBlock(INamedTypeSymbol type, SyntaxTree declaringTree, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        var classSyntax = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().FirstOrDefault(s => s.SyntaxTree == declaringTree);
        var spec = EmptySpec(type, FullMetadataName(type), classSyntax is null ? SourceSpan.None : ToSpan(classSyntax.Identifier));
        return ParseAttributes(type, declaringTree, spec, diagnostics, cancellationToken);
    }

    /// <summary>The class's identity, no input and no layers yet: what a network and a block declaration start from.</summary>
    private static NetworkSpec EmptySpec(INamedTypeSymbol type, string metadataName, SourceSpan nameSpan) => new(
        Namespace: type.ContainingNamespace is { IsGlobalNamespace: false } ns ? NamespaceText(ns) : "",
        ClassName: Identifier(type.Name),
        Accessibility: AccessibilityText(type.DeclaredAccessibility),
        MetadataName: metadataName,
        Containers: new EquatableArray<ContainingType>(Containers(type)),
        Input: null,
        Layers: EquatableArray<LayerSpec>.Empty,
        ClassNameSpan: nameSpan);

    private static NetworkSpec ParseAttributes(INamedTypeSymbol type, SyntaxTree declaringTree, NetworkSpec spec, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        // Source order within the declaring file; attributes on other partial declarations follow in file order.
        var attributes = OrderedAttributes(type, declaringTree);

        InputSpec? input = null;
        var extraInputs = new List<InputSpec>();
        bool dense = false;
        var denseSpan = SourceSpan.None;
        OutputSpec? output = null;
        var expansion = new Expansion(diagnostics, cancellationToken);
        // A block checked on its own is its own scope: its consts hold their defaults, its names are its own.
        var scope = new Scope { Block = IsBlock(type) ? type : null };
        if (scope.Block is not null) scope.Stack.Add(type);
        foreach (var attribute in attributes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string? name = attribute.AttributeClass?.ToDisplayString();
            if (name is null || attribute.AttributeConstructor is null) continue; // the compiler reports broken attributes
            var syntax = attribute.ApplicationSyntaxReference!.GetSyntax(cancellationToken) as AttributeSyntax;
            var spans = ArgumentSpans(syntax);
            if (name == NetworkAttributeName)
                (dense, denseSpan) = ParseNetwork(attribute, spans);
            else if (name == InputAttributeName)
            {
                // Every [Input] is kept, in source order: the planner decides what several of them mean. Blocks read the first.
                var parsed = ParseInput(attribute, spans);
                if (input is null)
                {
                    input = parsed;
                    expansion.InputName = input.Name;
                    scope.InputAlias = scope.InputName = input.Name;
                }
                else extraInputs.Add(parsed);
            }
            else if (Layers.LayerRegistry.ByAttribute(name) is { } rule)
                expansion.AddLayer(scope, rule, attribute, syntax, spans);
            else if (name == OutputAttributeName)
                output = ParseOutput(attribute, spans);
            else if (IsBlock(attribute.AttributeClass))
                expansion.AddBlock(scope, attribute, syntax, spans);
        }
        spec = spec with { Output = output };

        return spec with { Input = input, ExtraInputs = new EquatableArray<InputSpec>(extraInputs), Layers = new EquatableArray<LayerSpec>(expansion.Flat), Dense = dense, DenseSpan = denseSpan };
    }

    private static (bool Dense, SourceSpan Span) ParseNetwork(AttributeData attribute, EquatableArray<ArgSpan> spans)
    {
        bool dense = false;
        foreach (var named in attribute.NamedArguments)
            if (named.Key == "Dense" && named.Value.Value is bool b) dense = b;
        var span = SourceSpan.None;
        foreach (var s in spans) if (s.Key == "Dense" || (s.Key == "" && span.IsNone)) span = s.Span;
        return (dense, span);
    }

    private static InputSpec ParseInput(AttributeData attribute, EquatableArray<ArgSpan> spans)
    {
        var dims = new List<int>();
        foreach (var arg in attribute.ConstructorArguments) AddInts(ArgValue.From(arg), dims);
        string name = "input";
        foreach (var named in attribute.NamedArguments)
            if (named.Key == "Name" && named.Value.Value is string s) name = s;
        return new InputSpec(new EquatableArray<int>(dims), name, spans);
    }

    /// <summary>[Output(names)]: a null array gives no names and a null name "", which the planner reports.</summary>
    private static OutputSpec ParseOutput(AttributeData attribute, EquatableArray<ArgSpan> spans)
    {
        var names = new List<string>();
        foreach (var arg in attribute.ConstructorArguments) AddStrings(ArgValue.From(arg), names);
        return new OutputSpec(new EquatableArray<string>(names), spans);
    }

    private static LayerSpec ParseLayer(Layers.LayerRule rule, int index, AttributeArguments args, EquatableArray<ArgSpan> spans)
    {
        var numbers = new List<NamedNumber>();
        int filters = 0, units = 0;
        var kernel = new List<int>();
        var ints = new List<int>();
        var inputs = new List<string>();
        double rate = 0, min = 0, max = 0;
        foreach (var (parameter, arg) in args.Positional)
        {
            if (IsNumber(arg)) numbers.Add(new NamedNumber(parameter, Double(arg)));
            switch (parameter)
            {
                case "filters": filters = Int(arg); break;
                case "units": units = Int(arg); break;
                case "kernel": case "kernelH": case "kernelW": kernel.Add(Int(arg)); break;
                case "dims": case "axes": case "amounts": AddInts(arg, ints); break;
                case "inputs": AddStrings(arg, inputs); break;
                case "rate": rate = Double(arg); break;
                case "min": min = Double(arg); break;
                case "max": max = Double(arg); break;
            }
        }

        string? name = null, from = null, tiedTo = null, switches = null;
        int stride = 0, dilation = 1, padding = 0, pad = 0, outputPadding = 0;
        var strides = new List<int>();
        var dilations = new List<int>();
        var pads = new List<int>();
        bool bias = true, ceilMode = false, keepSwitches = false;
        double alpha = 1.0, epsilon = 1e-5, momentum = 0.1;
        foreach (var named in args.Named)
        {
            var v = named.Value;
            if (IsNumber(v)) numbers.Add(new NamedNumber(named.Key, Double(v)));
            // Enum options (Upsample's Mode) by their value and flags (AlignCorners) as 0 or 1, for rules that read Numbers.
            else if (v.Kind == TypedConstantKind.Enum && v.Value is int option) numbers.Add(new NamedNumber(named.Key, option));
            else if (v.Kind == TypedConstantKind.Primitive && v.Value is bool flag) numbers.Add(new NamedNumber(named.Key, flag ? 1 : 0));
            switch (named.Key)
            {
                case "Name": name = v.Value as string; break;
                case "From": from = v.Value as string; break;
                case "TiedTo": tiedTo = v.Value as string; break;
                case "Switches": switches = v.Value as string; break;
                case "Stride": stride = Int(v); break;
                case "Strides": AddInts(v, strides); break;
                case "Dilation": dilation = Int(v); break;
                case "Dilations": AddInts(v, dilations); break;
                case "Padding": padding = Int(v); break;
                case "Pad": pad = Int(v); break;
                case "Pads": AddInts(v, pads); break;
                case "OutputPadding": outputPadding = Int(v); break;
                case "Bias": bias = v.Value is bool b && b; break;
                case "CeilMode": ceilMode = v.Value is bool c && c; break;
                case "KeepSwitches": keepSwitches = v.Value is bool k && k; break;
                case "Alpha": alpha = Double(v); break;
                case "Epsilon": epsilon = Double(v); break;
                case "Momentum": momentum = Double(v); break;
            }
        }

        return new LayerSpec(rule, index, name, from, filters, new EquatableArray<int>(kernel), stride, new EquatableArray<int>(strides),
            dilation, new EquatableArray<int>(dilations), padding, pad, new EquatableArray<int>(pads), bias, outputPadding, tiedTo,
            ceilMode, keepSwitches, switches, units, new EquatableArray<int>(ints), new EquatableArray<string>(inputs),
            rate, alpha, epsilon, momentum, min, max, spans) { Numbers = new EquatableArray<NamedNumber>(numbers) };
    }

    // A bool counts as 1 or 0, so a rule reads a switch (Gelu's Approximate) as it reads a number.
    private static bool IsNumber(ArgValue c) => c.Kind == TypedConstantKind.Primitive && c.Value is double or float or int or long or bool;

    /// <summary>Spans of the whole attribute ("") and of each argument: positional by index (params expanded), named by name.</summary>
    private static EquatableArray<ArgSpan> ArgumentSpans(AttributeSyntax? syntax)
    {
        var result = new List<ArgSpan>();
        if (syntax is null) return EquatableArray<ArgSpan>.Empty;
        result.Add(new ArgSpan("", ToSpan(syntax)));
        if (syntax.ArgumentList is null) return new EquatableArray<ArgSpan>(result);
        int position = 0;
        foreach (var arg in syntax.ArgumentList.Arguments)
        {
            if (arg.NameEquals is not null)
                result.Add(new ArgSpan(arg.NameEquals.Name.Identifier.ValueText, ToSpan(arg)));
            else if (arg.NameColon is not null)
                result.Add(new ArgSpan(arg.NameColon.Name.Identifier.ValueText, ToSpan(arg)));
            else
                result.Add(new ArgSpan((position++).ToString(System.Globalization.CultureInfo.InvariantCulture), ToSpan(arg)));
        }
        return new EquatableArray<ArgSpan>(result);
    }

    private static SourceSpan ToSpan(SyntaxNodeOrToken node) => new(node.SyntaxTree?.FilePath ?? "", node.Span.Start, node.Span.Length);

    private static int Int(ArgValue c) => c.Kind == TypedConstantKind.Primitive || c.Kind == TypedConstantKind.Enum
        ? c.Value switch { int i => i, long l => (int)System.Math.Max(int.MinValue, System.Math.Min(int.MaxValue, l)), short s => s, byte b => b, _ => 0 }
        : 0;

    private static double Double(ArgValue c) => c.Value switch { double d => d, float f => f, int i => i, long l => l, bool b => b ? 1 : 0, _ => 0 };

    /// <summary>Adds the ints of a scalar or array constant; a null array (<c>[Input(null)]</c>) adds none, which the planner reports.</summary>
    private static void AddInts(ArgValue c, List<int> into)
    {
        if (c.Kind != TypedConstantKind.Array) into.Add(Int(c));
        else if (!c.IsNull) foreach (var v in c.Values!) into.Add(Int(v));
    }

    /// <summary>Adds the strings of a scalar or array constant; a null element becomes "", which the planner reports as a missing name.</summary>
    private static void AddStrings(ArgValue c, List<string> into)
    {
        if (c.Kind != TypedConstantKind.Array) { if (c.Value is string s) into.Add(s); }
        else if (!c.IsNull) foreach (var v in c.Values!) into.Add(v.Value as string ?? "");
    }

    private static string AccessibilityText(Accessibility a) => a switch
    {
        Accessibility.Public => "public",
        Accessibility.Internal => "internal",
        Accessibility.Private => "private",
        Accessibility.Protected => "protected",
        Accessibility.ProtectedOrInternal => "protected internal",
        Accessibility.ProtectedAndInternal => "private protected",
        _ => "internal",
    };

    private static IEnumerable<ContainingType> Containers(INamedTypeSymbol type)
    {
        var list = new List<ContainingType>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            string keyword = outer.IsRecord ? (outer.TypeKind == TypeKind.Struct ? "record struct" : "record")
                : outer.TypeKind == TypeKind.Struct ? "struct" : outer.TypeKind == TypeKind.Interface ? "interface" : "class";
            list.Insert(0, new ContainingType(keyword, Identifier(outer.Name)));
        }
        return list;
    }

    /// <summary>A name as a C# identifier: a keyword used as a name (<c>class @event</c>) keeps its '@'.</summary>
    private static string Identifier(string name) => SyntaxFacts.GetKeywordKind(name) == SyntaxKind.None ? name : "@" + name;

    private static string NamespaceText(INamespaceSymbol ns)
    {
        var parts = new List<string>();
        for (var n = ns; n is { IsGlobalNamespace: false }; n = n.ContainingNamespace) parts.Insert(0, Identifier(n.Name));
        return string.Join(".", parts);
    }

    private static string FullMetadataName(INamedTypeSymbol type)
    {
        var parts = new List<string> { type.MetadataName };
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType) parts.Insert(0, outer.MetadataName);
        string name = string.Join("+", parts);
        return type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." + name : name;
    }
}
