//===- QuantityRoundTripTest.cpp - print -> parse -> print of quantities --===//
//
// A randomized property test of the dialect's number syntax: for values
// from 1e-9 to 1e15 (random doubles with full mantissas, and short
// decimals) in every unit of times, bandwidths and byte sizes, the printed
// attribute parses back to the same attribute and prints the same text,
// and a time or bandwidth given in its canonical unit keeps its exact
// double. The same holds for whole ops whose custom directives print
// quantities and factors (`relative_to_1f1b`). Values the printer could
// not write back (inf, nan, byte sizes above 2^63 - 1) are refused: by the
// parser at the token, and by the verifier when a pass builds them. The
// seed is fixed, so a failure reproduces; the failing text is in the
// message.
//
//===----------------------------------------------------------------------===//

#include "crosspipe/Dialect/CrossPipeDialect.h"
#include "crosspipe/Dialect/Quantities.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>

using namespace mlir;
using namespace crosspipe;

namespace {

constexpr int kSamples = 3000;

class QuantityRoundTrip : public ::testing::Test {
protected:
  QuantityRoundTrip()
      : handler(&context,
                [this](Diagnostic &diag) { errors += diag.str() + "\n"; }) {
    context.loadDialect<CrossPipeDialect>();
  }

  /// Parses `text` as an attribute; null (and `errors` set) on failure.
  Attribute parse(const std::string &text) {
    errors.clear();
    return parseAttribute(text, &context);
  }

  static std::string print(Attribute attr) {
    std::string text;
    llvm::raw_string_ostream os(text);
    attr.print(os);
    return text;
  }

  /// Parses `text`, prints it, parses and prints again: the two parses give
  /// the same attribute and the two prints the same text.
  Attribute roundTrip(const std::string &text) {
    Attribute first = parse(text);
    EXPECT_TRUE(first) << text << ": " << errors;
    if (!first)
      return {};
    std::string printed = print(first);
    Attribute second = parse(printed);
    EXPECT_EQ(second, first)
        << text << " printed as " << printed << ": " << errors;
    if (second) {
      EXPECT_EQ(print(second), printed) << text;
    }
    return first;
  }

  /// A random double, log-uniform in [1e-9, 1e15]; every other one is cut
  /// to a short decimal (123.25, 0.001), as people write them.
  double sample() {
    double exponent = std::uniform_real_distribution<double>(-9, 15)(rng);
    double value = std::pow(10.0, exponent);
    if (rng() % 2) {
      double scale = std::pow(10.0, std::floor(exponent) - (rng() % 6));
      value = std::round(value / scale) * scale;
    }
    return std::clamp(value, 1e-9, 1e15);
  }

  MLIRContext context;
  std::string errors;
  ScopedDiagnosticHandler handler;
  std::mt19937_64 rng{20240611};
};

TEST_F(QuantityRoundTrip, FormatNumberReadsBackExactly) {
  // The printer's number text is one the MLIR lexer reads as one token.
  for (double value : {1e5, 1e6, 123456789.125, 1e-9, 1e15, 1e16, 1e300, 5e-324,
                       0.1, 1e-4, 9.999999999999999e15}) {
    Attribute attr =
        roundTrip("#crosspipe.time<" + formatNumber(value) + " ms>");
    ASSERT_TRUE(attr);
    EXPECT_EQ(llvm::cast<TimeAttr>(attr).getMs(), value) << value;
  }
  EXPECT_EQ(formatNumber(1e5), "100000");
  EXPECT_EQ(formatNumber(1e16), "1.0e16");
  EXPECT_EQ(formatNumber(-1e-9), "-1.0e-9");
  EXPECT_EQ(formatNumber(-0.0), "0");
  EXPECT_EQ(formatNumber(1.5e-300), "1.5e-300");
}

TEST_F(QuantityRoundTrip, TimesInEveryUnit) {
  for (int i = 0; i < kSamples; ++i) {
    double value = sample();
    for (const char *unit : {"s", "ms", "us", "ns"}) {
      for (double signedValue : {value, -value}) {
        std::string text =
            "#crosspipe.time<" + formatNumber(signedValue) + " " + unit + ">";
        Attribute attr = roundTrip(text);
        if (attr && std::string(unit) == "ms") {
          EXPECT_EQ(llvm::cast<TimeAttr>(attr).getMs(), signedValue) << text;
        }
      }
    }
  }
}

TEST_F(QuantityRoundTrip, BandwidthsInEveryUnit) {
  for (int i = 0; i < kSamples; ++i) {
    double value = sample();
    for (const char *unit : {"Mbps", "Gbps", "Tbps"}) {
      std::string text =
          "#crosspipe.bandwidth<" + formatNumber(value) + " " + unit + ">";
      Attribute attr = roundTrip(text);
      if (attr && std::string(unit) == "Gbps") {
        EXPECT_EQ(llvm::cast<BandwidthAttr>(attr).getGbps(), value) << text;
      }
    }
  }
}

TEST_F(QuantityRoundTrip, ByteSizesInEveryUnit) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  for (int i = 0; i < kSamples; ++i) {
    // Whole counts up to 1e15 in every unit (up to 2^63 - 1 bytes), exact
    // beyond 2^53.
    uint64_t count = uint64_t(std::floor(sample()));
    for (int u = 0; u < 5; ++u) {
      if (count > kMaxBytes >> (10 * u))
        continue;
      std::string text =
          "#crosspipe.bytes<" + std::to_string(count) + " " + units[u] + ">";
      Attribute attr = roundTrip(text);
      if (attr) {
        EXPECT_EQ(llvm::cast<BytesAttr>(attr).getBytes(), count << (10 * u))
            << text;
      }
    }
    // A fraction of a GiB that is a whole number of bytes.
    double gib = double(count % (1 << 20)) + double(rng() % 1024) / 1024;
    roundTrip("#crosspipe.bytes<" + formatNumber(gib) + " GiB>");
  }
  Attribute largest = roundTrip("#crosspipe.bytes<9223372036854775807 B>");
  ASSERT_TRUE(largest);
  EXPECT_EQ(llvm::cast<BytesAttr>(largest).getBytes(), kMaxBytes);
  // 2^53 + 1 is not a double: integers must not go through one.
  Attribute odd = roundTrip("#crosspipe.bytes<9007199254740993 B>");
  ASSERT_TRUE(odd);
  EXPECT_EQ(llvm::cast<BytesAttr>(odd).getBytes(), 9007199254740993ull);
}

TEST_F(QuantityRoundTrip, IntegersAboveInt64KeepTheirValue) {
  // MLIR reads `18446744073709551615` into a signless i64 as -1.
  Attribute time = roundTrip("#crosspipe.time<18446744073709551615 ms>");
  ASSERT_TRUE(time);
  EXPECT_EQ(llvm::cast<TimeAttr>(time).getMs(), 18446744073709551615.0);
  Attribute negative = roundTrip("#crosspipe.time<-1 ms>");
  ASSERT_TRUE(negative);
  EXPECT_EQ(llvm::cast<TimeAttr>(negative).getMs(), -1.0);
  EXPECT_FALSE(parse("#crosspipe.bytes<18446744073709551615 B>"));
  EXPECT_FALSE(parse("#crosspipe.bytes<9223372036854775808 B>"));
}

TEST_F(QuantityRoundTrip, NonFiniteAndOutOfRangeAreRefused) {
  for (const char *text :
       {"#crosspipe.time<1.0e999 ms>",
        "#crosspipe.time<0x7FF8000000000000 : f64 ms>",
        "#crosspipe.time<1.0e308 s>", "#crosspipe.bandwidth<-1.0e999 Gbps>",
        "#crosspipe.bytes<8388608 TiB>", "#crosspipe.bytes<1.0e19 B>",
        "#crosspipe.bytes<-1 B>", "#crosspipe.time<1e5 ms>",
        "#crosspipe.time<true ms>"}) {
    EXPECT_FALSE(parse(text)) << text;
    EXPECT_FALSE(errors.empty()) << text;
  }
}

TEST_F(QuantityRoundTrip, VerifierRefusesWhatCannotPrintBack) {
  // A pass may compute a non-finite time or an oversized byte count; the
  // printer would write text the parser refuses, so the verifier (which
  // runs before printing) must refuse it first.
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(
      "crosspipe.cluster @net {\n"
      "  crosspipe.datacenter @a devices 1 memory 1 GiB\n"
      "  crosspipe.link @a -> @a latency 1 ms bandwidth 1 Gbps\n"
      "}\n",
      &context);
  ASSERT_TRUE(module) << errors;
  auto cluster = *module->getOps<ClusterOp>().begin();
  auto link = *cluster.getBody().getOps<LinkOp>().begin();
  auto dc = *cluster.getBody().getOps<DatacenterOp>().begin();
  double inf = std::numeric_limits<double>::infinity();
  double nan = std::numeric_limits<double>::quiet_NaN();

  link.setLatencyAttr(TimeAttr::get(&context, inf));
  errors.clear();
  EXPECT_TRUE(failed(verify(*module)));
  EXPECT_NE(errors.find("expects a finite 'latency', got inf ms"),
            std::string::npos)
      << errors;

  link.setLatencyAttr(TimeAttr::get(&context, 1.0));
  link.setBandwidthAttr(BandwidthAttr::get(&context, nan));
  errors.clear();
  EXPECT_TRUE(failed(verify(*module)));
  EXPECT_NE(errors.find("expects a finite 'bandwidth', got nan Gbps"),
            std::string::npos)
      << errors;

  link.setBandwidthAttr(BandwidthAttr::get(&context, 1.0));
  dc.setDeviceMemoryAttr(BytesAttr::get(&context, kMaxBytes + 1));
  errors.clear();
  EXPECT_TRUE(failed(verify(*module)));
  EXPECT_NE(errors.find("expects 'device_memory' to be at most "
                        "9223372036854775807 B"),
            std::string::npos)
      << errors;

  dc.setDeviceMemoryAttr(BytesAttr::get(&context, kMaxBytes));
  errors.clear();
  EXPECT_TRUE(succeeded(verify(*module))) << errors;
}

TEST_F(QuantityRoundTrip, OpsPrintWhatTheyParse) {
  // Custom directives print quantities without the attribute wrapper; a
  // module with random values prints, parses and prints the same text.
  for (int i = 0; i < kSamples / 10; ++i) {
    std::string t[6];
    for (std::string &s : t)
      s = formatNumber(sample());
    std::string text =
        "crosspipe.cluster @net {\n"
        "  crosspipe.datacenter @a devices 2 memory " +
        std::to_string(uint64_t(sample()) + 1) +
        " KiB\n"
        "  crosspipe.link @a -> @a latency " +
        t[0] + " us bandwidth " + t[1] +
        " Tbps\n"
        "}\n"
        "crosspipe.pipeline @p on @net microbatches 1 placement "
        "unidirectional memory [1 TiB, 1 TiB] relative_to_1f1b " +
        t[2] +
        " {\n"
        "  crosspipe.stage device 0 forward " +
        t[3] + " s backward " + t[4] +
        " ns activation 1 B message 1 B gradient 1 B\n"
        "  crosspipe.stage device 1 forward " +
        t[5] + " ms backward " + t[5] +
        " ms activation 1 B message 0 B gradient 1 B\n"
        "}\n"
        "crosspipe.schedule @s for @p algorithm \"x\" {\n"
        "  crosspipe.program device 0 {\n"
        "    crosspipe.compute F chunk 0 mb 0 [" +
        t[0] + " ms, " + t[0] +
        " s]\n"
        "  }\n"
        "}\n";
    errors.clear();
    OwningOpRef<ModuleOp> first = parseSourceString<ModuleOp>(text, &context);
    ASSERT_TRUE(first) << text << errors;
    std::string printed;
    llvm::raw_string_ostream os(printed);
    first->print(os);
    OwningOpRef<ModuleOp> second =
        parseSourceString<ModuleOp>(printed, &context);
    ASSERT_TRUE(second) << printed << errors;
    std::string reprinted;
    llvm::raw_string_ostream os2(reprinted);
    second->print(os2);
    EXPECT_EQ(reprinted, printed);
  }
}

} // namespace
