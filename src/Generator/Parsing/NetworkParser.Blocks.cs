using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Strider.Generator.Diagnostics;
using Strider.Generator.Model;

namespace Strider.Generator.Parsing;

/// <summary>
/// Blocks: a use of a class derived from Strider.BlockAttribute is inlined here, at parse time, into the flat layer list
/// the planner takes. Each inlined layer is named after the instance path (<c>layer2.0.conv1</c>), has its arguments
/// re-evaluated from their syntax with the instance's parameters in place of the block's consts, is located at the use
/// site (the outermost attribute of the class being checked) and remembers its groups for the Summary.
/// </summary>
internal static partial class NetworkParser
{
    public const string BlockAttributeName = "Strider.BlockAttribute";

    /// <summary>Whether <paramref name="type"/> derives from Strider.BlockAttribute (a block declaration).</summary>
    public static bool IsBlock(INamedTypeSymbol? type)
    {
        for (var b = type?.BaseType; b is not null; b = b.BaseType)
            if (b.ToDisplayString() == BlockAttributeName) return true;
        return false;
    }

    /// <summary>The attributes of <paramref name="type"/> in source order: the declaring file first, then the others by path.</summary>
    private static List<AttributeData> OrderedAttributes(INamedTypeSymbol type, SyntaxTree? declaringTree) => type.GetAttributes()
        .Where(a => a.ApplicationSyntaxReference is not null)
        .OrderBy(a => a.ApplicationSyntaxReference!.SyntaxTree == declaringTree ? 0 : 1)
        .ThenBy(a => a.ApplicationSyntaxReference!.SyntaxTree.FilePath, System.StringComparer.Ordinal)
        .ThenBy(a => a.ApplicationSyntaxReference!.Span.Start)
        .ToList();

    /// <summary>Where names are declared and read: the network itself, a block checked on its own, or one block instance.</summary>
    private sealed class Scope
    {
        /// <summary>The instance path ("" for the network or a block checked on its own).</summary>
        public string Path = "";

        /// <summary>The block whose consts are the parameters; null for the network.</summary>
        public INamedTypeSymbol? Block;

        /// <summary>Every const of the block by name with this instance's parameters in place; null where the compiler's values hold (no instance).</summary>
        public Dictionary<string, object?>? Values;

        /// <summary>The names of the consts that stand for parameters (re-evaluated where read).</summary>
        public HashSet<string> Parameters = new(System.StringComparer.Ordinal);

        /// <summary>The name the block's layers read the block's input by, and the flat name it stands for.</summary>
        public string InputAlias = "input";
        public string? InputName;

        /// <summary>Names that stand for another output: a left-out layer for what it read, an instance for its output.</summary>
        public readonly Dictionary<string, string> Aliases = new(System.StringComparer.Ordinal);
        public readonly Dictionary<string, int> AutoCounts = new(System.StringComparer.Ordinal);

        /// <summary>What a layer without From reads, when that is not simply the flat list's previous layer.</summary>
        public string? Previous;

        /// <summary>The use site every diagnostic of this scope's layers is reported at; None: their own spans.</summary>
        public SourceSpan UseSpan = SourceSpan.None;

        public EquatableArray<BlockGroup> Groups = EquatableArray<BlockGroup>.Empty;
        public List<INamedTypeSymbol> Stack = new();

        public bool IsInstance => Path.Length > 0;

        public string Qualify(string local) => IsInstance ? Path + "." + local : local;

        /// <summary>The flat name a name read in this scope stands for.</summary>
        public string Resolve(string name)
        {
            if (Aliases.TryGetValue(name, out var alias)) return alias;
            if (Block is not null && name == InputAlias && InputName is not null) return InputName;
            return Qualify(name);
        }

        /// <summary>A block parameter's (or const's) bool value in this scope, or null when there is no bool of that name.</summary>
        public bool? Flag(string name)
        {
            if (Values is not null) return Values.TryGetValue(name, out var v) && v is bool b ? b : null;
            return Block?.GetMembers(name).OfType<IFieldSymbol>().FirstOrDefault(f => f.IsConst)?.ConstantValue is bool c ? c : null;
        }
    }

    /// <summary>Builds the flat layer list of one class (a network, or a block checked on its own), inlining block uses.</summary>
    private sealed class Expansion
    {
        private readonly List<DiagnosticInfo> _diagnostics;
        private readonly CancellationToken _cancellationToken;
        private readonly Dictionary<string, int> _topCounts = new(System.StringComparer.Ordinal);

        public Expansion(List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken) => (_diagnostics, _cancellationToken) = (diagnostics, cancellationToken);

        public List<LayerSpec> Flat { get; } = new();

        /// <summary>The network's (or block's) input name, for a block used before any layer.</summary>
        public string InputName { get; set; } = "input";

        private string LastName => Flat.Count == 0 ? InputName : Flat[Flat.Count - 1].Name ?? Flat[Flat.Count - 1].AutoName!;

        private string Previous(Scope scope) => scope.Previous ?? LastName;

        private void Report(string id, SourceSpan span, params object[] args) => _diagnostics.Add(DiagnosticInfo.Create(id, span, args));

        private static SourceSpan Locate(Scope scope, EquatableArray<ArgSpan> spans, string key)
        {
            if (!scope.UseSpan.IsNone) return scope.UseSpan;
            foreach (var s in spans) if (s.Key == key) return s.Span;
            foreach (var s in spans) if (s.Key == "") return s.Span;
            return SourceSpan.None;
        }

        /// <summary>Adds one layer attribute of <paramref name="scope"/>'s class, or leaves it out (When / Unless).</summary>
        public void AddLayer(Scope scope, global::Strider.Generator.Layers.LayerRule rule, AttributeData attribute, AttributeSyntax? syntax, EquatableArray<ArgSpan> spans)
        {
            var args = AttributeArguments.From(attribute);
            string? localName = args.NamedString("Name");
            if (!Included(scope, args, spans, localName ?? rule.Name))
            {
                // Left out: its name stands for what it would have read; a merge's for the previous layer's output, the path it joins.
                string read = args.NamedString("From") is { } from && rule is not global::Strider.Generator.Layers.MergeRule ? scope.Resolve(from) : Previous(scope);
                if (localName is not null) scope.Aliases[localName] = read;
                if (scope.Block is not null) scope.Previous = read;
                return;
            }
            if (scope.Values is not null && !Substitute(scope, attribute, syntax, args, spans)) return;

            var layer = ParseLayer(rule, Flat.Count, args, scope.UseSpan.IsNone ? spans : new EquatableArray<ArgSpan>(new[] { new ArgSpan("", scope.UseSpan) }));
            var counts = scope.IsInstance ? scope.AutoCounts : _topCounts;
            counts.TryGetValue(rule.AutoNamePrefix, out int n);
            counts[rule.AutoNamePrefix] = ++n;
            string auto = scope.Qualify(rule.AutoNamePrefix + n.ToString(CultureInfo.InvariantCulture));

            string? From(string? name) => name is null ? null : scope.Resolve(name);
            var inputs = layer.Inputs.Select(i => scope.Resolve(i)).ToArray();
            string? implicitFrom = layer.From is null && rule is not Layers.MergeRule && (scope.Block is not null || scope.Previous is not null) ? Previous(scope) : null;
            layer = layer with
            {
                Name = layer.Name is null ? null : scope.Qualify(layer.Name),
                From = From(layer.From) ?? implicitFrom,
                TiedTo = From(layer.TiedTo),
                Switches = From(layer.Switches),
                Inputs = inputs.SequenceEqual(layer.Inputs) ? layer.Inputs : new EquatableArray<string>(inputs),
                AutoName = auto,
                Groups = scope.Groups,
            };
            Flat.Add(layer);
            scope.Previous = scope.Block is not null ? layer.Name ?? auto : null;
        }

        /// <summary>False when When / Unless leave the layer or block out in this scope (or name no bool parameter: STR0030).</summary>
        private bool Included(Scope scope, AttributeArguments args, EquatableArray<ArgSpan> spans, string what)
        {
            bool included = true;
            foreach (string key in new[] { "When", "Unless" })
            {
                if (args.NamedString(key) is not { } flag) continue;
                if (scope.Block is null)
                {
                    Report("STR0030", Locate(scope, spans, key), what, key + " = \"" + flag + "\" is only for layers inside a block (a class derived from BlockAttribute); remove it");
                    continue;
                }
                if (scope.Flag(flag) is not { } value)
                {
                    var flags = scope.Block.GetMembers().OfType<IFieldSymbol>().Where(f => f.IsConst && f.ConstantValue is bool).Select(f => "'" + f.Name + "'").ToList();
                    Report("STR0030", Locate(scope, spans, key), scope.Qualify(what), key + " = \"" + flag + "\" names no bool parameter of block '" + scope.Block.Name + "'; "
                        + (flags.Count == 0 ? "declare one as a bool const with the parameter's name" : "its bool parameters are " + string.Join(", ", flags)));
                    continue;
                }
                if (value != (key == "When")) included = false;
            }
            return included;
        }

        /// <summary>Re-evaluates each argument that reads a block parameter with the instance's values; false after STR0030.</summary>
        private bool Substitute(Scope scope, AttributeData attribute, AttributeSyntax? syntax, AttributeArguments args, EquatableArray<ArgSpan> spans)
        {
            if (syntax?.ArgumentList is null || attribute.AttributeConstructor is null) return true;
            var parameters = attribute.AttributeConstructor.Parameters;
            var arguments = syntax.ArgumentList.Arguments;
            int positionalCount = arguments.Count(a => a.NameEquals is null && a.NameColon is null);
            int position = 0;
            foreach (var argument in arguments)
            {
                int index = argument.NameEquals is null && argument.NameColon is null ? position++ : -1;
                if (!BlockExpression.ReadsParameters(argument.Expression, scope.Values!, scope.Parameters)) continue;
                var value = BlockExpression.Evaluate(argument.Expression, scope.Values!, out string? error);
                string key;
                ITypeSymbol? type;
                int element = -1;
                if (argument.NameEquals is { } nameEquals)
                {
                    key = nameEquals.Name.Identifier.ValueText;
                    type = PropertyType(attribute.AttributeClass, key);
                }
                else
                {
                    var parameter = argument.NameColon is { } colon ? parameters.FirstOrDefault(p => p.Name == colon.Name.Identifier.ValueText)
                        : index < parameters.Length ? parameters[index] : parameters.LastOrDefault();
                    key = parameter?.Name ?? "";
                    type = parameter?.Type;
                    // A params argument written element by element: this argument is one element.
                    if (parameter is { IsParams: true } && argument.NameColon is null && (positionalCount != parameters.Length || !IsArraySyntax(argument.Expression)))
                    {
                        element = index - (parameters.Length - 1);
                        type = (type as IArrayTypeSymbol)?.ElementType;
                    }
                }
                var converted = error is null && type is not null ? BlockExpression.ToArgument(value, type) : null;
                if (converted is null)
                {
                    string kind = attribute.AttributeClass?.Name ?? "layer";
                    if (kind.EndsWith("Attribute", System.StringComparison.Ordinal)) kind = kind.Substring(0, kind.Length - "Attribute".Length);
                    string what = scope.Qualify(args.NamedString("Name") ?? kind);
                    Report("STR0030", Locate(scope, spans, ""), what, "its argument '" + argument + "' cannot be computed for this instance: "
                        + (error ?? "the value " + System.Convert.ToString(value, CultureInfo.InvariantCulture) + " is not a " + type?.ToDisplayString()));
                    return false;
                }
                if (argument.NameEquals is not null) args.SetNamed(key, converted.Value);
                else args.SetPositional(key, element, converted.Value);
            }
            return true;
        }

        private static bool IsArraySyntax(ExpressionSyntax e) => e is ArrayCreationExpressionSyntax or ImplicitArrayCreationExpressionSyntax or CollectionExpressionSyntax;

        private static ITypeSymbol? PropertyType(INamedTypeSymbol? type, string name)
        {
            for (var t = type; t is not null; t = t.BaseType)
                foreach (var member in t.GetMembers(name))
                    if (member is IPropertySymbol p) return p.Type;
                    else if (member is IFieldSymbol f) return f.Type;
            return null;
        }

        /// <summary>Inlines one use of a block (an attribute whose class derives from BlockAttribute) into the flat list.</summary>
        public void AddBlock(Scope scope, AttributeData use, AttributeSyntax? syntax, EquatableArray<ArgSpan> spans)
        {
            var block = use.AttributeClass!;
            var useSpan = scope.UseSpan.IsNone ? Locate(scope, spans, "") : scope.UseSpan;
            var args = AttributeArguments.From(use);
            if (scope.Values is not null && !Substitute(scope, use, syntax, args, spans)) return;
            string localName = args.Positional.Count > 0 && args.Positional[0].Value.Value is string s ? s : "";
            if (localName.Length == 0)
            {
                Report("STR0030", Locate(scope, spans, "0"), scope.Qualify(block.Name), "the instance name (the first argument) is empty; give the PyTorch module path, e.g. \"layer1.0\"");
                return;
            }
            string path = scope.Qualify(localName);
            string input = args.NamedString("From") is { } from ? scope.Resolve(from) : Previous(scope);
            if (!Included(scope, args, spans, localName))
            {
                scope.Aliases[localName] = input;
                if (scope.Block is not null) scope.Previous = input;
                return;
            }
            if (scope.Stack.Contains(block, SymbolEqualityComparer.Default))
            {
                var cycle = scope.Stack.SkipWhile(b => !SymbolEqualityComparer.Default.Equals(b, block)).Select(b => b.Name).Concat(new[] { block.Name });
                Report("STR0031", useSpan, path, block.Name, string.Join(" -> ", cycle));
                return;
            }

            if (block.DeclaringSyntaxReferences.Length == 0)
            {
                // Its layers' argument syntax is what each use re-evaluates, and a referenced assembly keeps only their values.
                Report("STR0030", useSpan, path, "block '" + block.Name + "' is declared in the referenced assembly '" + block.ContainingAssembly?.Name
                    + "', whose layer arguments cannot be computed again for this use; declare the block in this project (a linked source file works)");
                return;
            }
            var (values, parameters, shown) = InstanceValues(block, args);
            // A value set at the use that no const carries into the layers would be ignored without a word.
            var unread = args.Positional.Skip(1).Select(p => (Written: p.Parameter, Const: p.Parameter))
                .Concat(args.Named.Where(n => n.Key is not ("From" or "When" or "Unless")).Select(n => (Written: n.Key, Const: ConstName(n.Key))))
                .Where(p => block.GetMembers(p.Const).OfType<IFieldSymbol>().All(f => !f.IsConst)).ToList();
            if (unread.Count > 0)
            {
                Report("STR0030", useSpan, path, "the block's parameter " + string.Join(", ", unread.Select(p => "'" + p.Written + "' has no const '" + p.Const + "'"))
                    + " to read it by, so the value set here would be ignored; declare the const in '" + block.Name + "' with the default as its value and use it in the layers");
                return;
            }
            var inner = new Scope
            {
                Path = path,
                Block = block,
                Values = values,
                Parameters = parameters,
                InputName = input,
                Previous = input,
                UseSpan = useSpan,
                Groups = new EquatableArray<BlockGroup>(scope.Groups.Concat(new[] { new BlockGroup(path, block.Name, shown) }).ToArray()),
                Stack = scope.Stack.Concat(new[] { block }).ToList(),
            };
            foreach (var attribute in OrderedAttributes(block, block.DeclaringSyntaxReferences.FirstOrDefault()?.SyntaxTree))
            {
                _cancellationToken.ThrowIfCancellationRequested();
                string? name = attribute.AttributeClass?.ToDisplayString();
                if (name is null || attribute.AttributeConstructor is null) continue;
                var innerSyntax = attribute.ApplicationSyntaxReference!.GetSyntax(_cancellationToken) as AttributeSyntax;
                if (name == InputAttributeName)
                    inner.InputAlias = attribute.NamedArguments.FirstOrDefault(n => n.Key == "Name").Value.Value as string ?? "input";
                else if (global::Strider.Generator.Layers.LayerRegistry.ByAttribute(name) is { } rule)
                    AddLayer(inner, rule, attribute, innerSyntax, ArgumentSpans(innerSyntax));
                else if (IsBlock(attribute.AttributeClass))
                    AddBlock(inner, attribute, innerSyntax, ArgumentSpans(innerSyntax));
            }
            // The instance's name stands for its output: the block's last layer (or what a left-out last layer read).
            string output = inner.Previous ?? input;
            scope.Aliases[localName] = output;
            scope.Previous = scope.Block is not null || output != LastName ? output : null;
        }

        /// <summary>
        /// The block's consts with this use's arguments in place: a constructor parameter sets the const of its own name,
        /// a property the const named like it with a lower-case first letter (<c>Stride</c> sets <c>stride</c>). Also the
        /// names of those parameter consts and the parameters as the Summary shows them.
        /// </summary>
        private static (Dictionary<string, object?> Values, HashSet<string> Parameters, string Shown) InstanceValues(INamedTypeSymbol block, AttributeArguments args)
        {
            var values = new Dictionary<string, object?>(System.StringComparer.Ordinal);
            foreach (var field in block.GetMembers().OfType<IFieldSymbol>())
                if (field.IsConst) values[field.Name] = BlockExpression.Normalize(field.ConstantValue);
            var parameters = new HashSet<string>(System.StringComparer.Ordinal);
            var shown = new List<string>();
            var ctorParameters = args.Constructor?.Parameters ?? System.Collections.Immutable.ImmutableArray<IParameterSymbol>.Empty;
            for (int i = 1; i < ctorParameters.Length; i++) parameters.Add(ctorParameters[i].Name);
            foreach (var property in block.GetMembers().OfType<IPropertySymbol>())
                if (property.SetMethod is not null) parameters.Add(ConstName(property.Name));
            for (int i = 1; i < args.Positional.Count; i++)
            {
                var (parameter, value) = args.Positional[i];
                values[parameter] = Plain(value);
                shown.Add(parameter + " " + Show(value));
            }
            foreach (var (key, value) in args.Named)
            {
                if (key is "From" or "When" or "Unless") continue;
                values[ConstName(key)] = Plain(value);
                shown.Add(key + " " + Show(value));
            }
            return (values, parameters, string.Join(", ", shown));
        }

        private static string ConstName(string property) => property.Length == 0 ? property : char.ToLowerInvariant(property[0]) + property.Substring(1);

        private static object? Plain(ArgValue value) => value.Kind == TypedConstantKind.Array
            ? value.Values?.Select(Plain).ToArray()
            : BlockExpression.Normalize(value.Value);

        private static string Show(ArgValue value) => value.Kind == TypedConstantKind.Array
            ? "[" + string.Join(", ", (value.Values ?? System.Array.Empty<ArgValue>()).Select(Show)) + "]"
            : value.Value switch
            {
                bool b => b ? "true" : "false",
                string s => "\"" + s + "\"",
                null => "null",
                var v => System.Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
            };
    }
}
