using System;
using System.Collections.Generic;
using Strider.Generator.Layers;
using Strider.Generator.Model;

namespace Strider.Generator.Emit;

/// <summary>The emitter's side of <see cref="LayerWriter"/>: what a layer rule writes with, for each pass.</summary>
internal static partial class NetworkEmitter
{
    private sealed partial class NetworkWriter
    {
        private LayerWriter? _passWriter;
        private LayerWriter? _denseWriter;

        /// <summary>The writer rules use in Forward, Backward and ExportOnnx, or in ForwardDense.</summary>
        private LayerWriter Pass(bool dense = false) => dense ? _denseWriter ??= new RuleWriter(this, true) : _passWriter ??= new RuleWriter(this, false);

        private sealed class RuleWriter(NetworkWriter o, bool dense) : LayerWriter
        {
            public override void Line(string line) => o._w.Line(line);

            public override IDisposable Block(string header) => o._w.Block(header);

            public override bool Dense => dense;

            public override NodePlan Node(int index) => o.PassNodes(dense)[index];

            public override string A(NodePlan n) => o.A(n);

            public override string G(NodePlan n) => o.G(n);

            public override string Local(NodePlan n, string role) => o._names[n.Index] + role;

            public override string Param(int index) => o.Param(index);

            public override string Buffer(int index) => o._bufferFields[index];

            public override string Switches(NodePlan pool) => o.Switches(pool);

            public override string Mask(NodePlan dropout) => o.Mask(dropout);

            public override string SavedMean(NodePlan bn) => o.SavedMean(bn);

            public override string SavedInvStd(NodePlan bn) => o.SavedInvStd(bn);

            public override string Scratch => o.Scratch;

            public override string Count(NodePlan n) => NetworkWriter.Count(n);

            public override string Inner(NodePlan n) => NetworkWriter.Inner(n);

            public override string Geometry(NodePlan n, string role = "Geometry") => o.Geometry(n, dense, role);

            public override void AddGeometry(string role, string type, params string[] lines) =>
                (o._declare ?? throw new InvalidOperationException("Geometry is declared only from LayerRule.DeclareGeometry."))(role, type, lines);

            public override (string C, string H, string W) Chw(NodePlan n) => NetworkWriter.Chw(n);

            public override string DenseArgs(NodePlan n) => o.DenseArgs(n);

            public override IEnumerable<(NodePlan Part, string Channels, string Offset)> ConcatParts(NodePlan concat) => NetworkWriter.ConcatParts(concat, Node);

            public override NodePlan? FoldedInto(NodePlan conv) => o.FoldedInto(conv);

            public override NodePlan? FoldSource(NodePlan bn) => o.FoldSource(bn);

            public override void WriteFoldedConv(NodePlan conv, NodePlan bn, NodePlan input, string geometry) => o.WriteFoldedConv(conv, bn, input, geometry, EpilogueOf(conv));

            public override FusedEpilogue? EpilogueOf(NodePlan conv) => dense ? null : o.EpilogueOf(conv);

            public override bool WroteExpandDepthwise(NodePlan conv) => !dense && o.WriteExpandDepthwise(conv);

            public override FusedChain? ChainOf(NodePlan n) =>
                o.ChainOf(n) is { } c ? new FusedChain(Node(c.Norm.Index), Node(c.Relu.Index), c.Dropout is { } drop ? Node(drop.Index) : null) : null;

            public override bool AliasesAtInference(NodePlan n) => o.AliasesAtInference(n);

            public override string DropoutSeed(NodePlan dropout) => NetworkWriter.DropoutSeed(dropout);

            public override string OnnxValue(int node) => o.OnnxValue(node);

            public override string OnnxInts(IEnumerable<long> values) => NetworkWriter.OnnxInts(values);

            public override string OnnxCropEnds(NodePlan n, string x, long[] cropEnd) => o.OnnxCropEnds(n, x, cropEnd);

            public override bool OnnxUnpooled(NodePlan pool) => o.OnnxUnpooled(pool);
        }
    }
}
