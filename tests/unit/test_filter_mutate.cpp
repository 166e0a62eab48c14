// The mutate filter: the vectors of logstash-filter-mutate's spec/filters/mutate_spec.rb and
// spec/filters/integration/multi_stage_spec.rb (reference §4.4, M-*), and the derived ones (§4.5, MD-*).
#include "filter_test_helpers.hpp"

#include <cmath>

using namespace filter_test;
using sluice::FilterStatus;

namespace {
Harness mutate(Opts opts) { return make_filter("mutate", std::move(opts)); }

// Runs a one-option mutate on {"a": <value>} and returns the resulting `a` (and tags via *tags).
std::string on_a(Harness& f, const std::string& value_json, std::string* tags = nullptr) {
  auto e = ev(R"({"a":)" + value_json + "}");
  (void)f.run(*e);
  if (tags) *tags = field(*e, "tags");
  return field(*e, "a");
}
}  // namespace

TEST_CASE("mutate schema: every option is described", "[filter][mutate]") {
  const auto* entry = sluice::Registry::builtin().find(sluice::PluginKind::Filter, "mutate");
  REQUIRE(entry != nullptr);
  for (const auto& o : entry->schema.options) {
    INFO(o.name);
    CHECK_FALSE(o.description.empty());
  }
  CHECK(entry->schema.find("tag_on_failure")->default_value->string == "_mutate_error");
}

TEST_CASE("M-ERR-1 M-ERR-2 invalid add_field reference is rejected at configuration time", "[filter][mutate]") {
  // Logstash tags every event `_mutate_error` (or tag_on_failure); Sluice rejects the config.
  CHECK_THROWS_AS(mutate({{"add_field", HS({{"[[][[[[]message", "nope"}})}}), sluice::PluginConfigError);
}

TEST_CASE("tag_on_failure is used on errors", "[filter][mutate]") {
  auto f = mutate({{"convert", HS({{"a", "integer"}})}, {"tag_on_failure", S("my_custom_tag")}});
  std::string tags;
  CHECK(on_a(f, R"("abc")", &tags) == R"("abc")");
  CHECK(tags == R"(["my_custom_tag"])");
}

TEST_CASE("M-CFG-1 M-CFG-2 configuration errors", "[filter][mutate]") {
  try {
    mutate({{"convert", SA({"message", "int"})}});
    FAIL("expected an error");
  } catch (const sluice::PluginConfigError& e) {
    CHECK(e.option == "convert");
    CHECK(std::string(e.what()).find("Invalid conversion type") != std::string::npos);
  }
  try {
    mutate({{"gsub", SA({"message", "toreplace"})}});
    FAIL("expected an error");
  } catch (const sluice::PluginConfigError& e) {
    CHECK(e.option == "gsub");
    CHECK(std::string(e.what()).find("Invalid gsub configuration") != std::string::npos);
  }
  CHECK_THROWS_AS(mutate({{"gsub", SA({"f", "(unclosed", "x"})}}), sluice::PluginConfigError);
}

TEST_CASE("M-C-1..M-C-5 case operations on arrays and missing fields", "[filter][mutate]") {
  auto up = mutate({{"uppercase", SA({"array_of"})}});
  auto e = ev(R"({"array_of":["a",2,"C"]})");
  CHECK(up.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "array_of") == R"(["A",2,"C"])");
  auto cap = mutate({{"capitalize", SA({"array_of"})}});
  e = ev(R"({"array_of":["ab",2,"CDE"]})");
  CHECK(cap.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "array_of") == R"(["Ab",2,"Cde"])");
  auto low = mutate({{"lowercase", SA({"array_of"})}});
  e = ev(R"({"array_of":["a",2,"C"]})");
  CHECK(low.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "array_of") == R"(["a",2,"c"])");
  for (const char* op : {"lowercase", "uppercase", "capitalize"}) {
    auto f = mutate({{op, SA({"fake_field"})}});
    e = ev("{}");
    CHECK(f.run(*e) == FilterStatus::Success);
    CHECK(field(*e, "fake_field") == "<missing>");
  }
  auto l1 = mutate({{"lowercase", S("field")}});
  auto u1 = mutate({{"uppercase", S("field")}});
  auto c1 = mutate({{"capitalize", S("field")}});
  e = ev(R"({"field":"oRiGiNaL vAlUe"})");
  (void)l1.run(*e);
  CHECK(field(*e, "field") == R"("original value")");
  e = ev(R"({"field":"oRiGiNaL vAlUe"})");
  (void)u1.run(*e);
  CHECK(field(*e, "field") == R"("ORIGINAL VALUE")");
  e = ev(R"({"field":"oRiGiNaL vAlUe"})");
  (void)c1.run(*e);
  CHECK(field(*e, "field") == R"("Original value")");
}

TEST_CASE("M-C-6 multibyte case mapping", "[filter][mutate]") {
  auto f = mutate({{"lowercase", SA({"lowerme"})}, {"uppercase", SA({"upperme"})}, {"capitalize", SA({"capitalizeme"})}});
  auto e = ev(R"({"lowerme":["АБВГД\u0000MMM","こにちわ","XyZółć","NÎcË GÛŸ"],
                  "upperme":["аБвгд\u0000mmm","こにちわ","xYzółć","Nîcë gûÿ"],
                  "capitalizeme":["АБВГД\u0000mmm","こにちわ","xyzółć","nÎcË GÛŸ"]})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "lowerme") == R"(["абвгд\u0000mmm","こにちわ","xyzółć","nîcë gûÿ"])");
  CHECK(field(*e, "upperme") == R"(["АБВГД\u0000MMM","こにちわ","XYZÓŁĆ","NÎCË GÛŸ"])");
  CHECK(field(*e, "capitalizeme") == R"(["Абвгд\u0000mmm","こにちわ","Xyzółć","Nîcë gûÿ"])");
}

TEST_CASE("M-C-7 M-C-8 lowercase several fields", "[filter][mutate]") {
  auto f = mutate({{"lowercase", SA({"bar", "lower1", "lower2"})}});
  auto e = ev(R"({"bar":"WORLD","lower1":"PPQQRRSS","lower2":"pppqqq"})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "bar") == R"("world")");
  CHECK(field(*e, "lower1") == R"("ppqqrrss")");
  CHECK(field(*e, "lower2") == R"("pppqqq")");
}

TEST_CASE("M-S-1 M-S-2 strip", "[filter][mutate]") {
  auto f = mutate({{"strip", SA({"path"})}});
  auto e = ev(R"({"path":" /store.php "})");
  (void)f.run(*e);
  CHECK(field(*e, "path") == R"("/store.php")");
  f = mutate({{"strip", SA({"foo", "bar"})}});
  e = ev(R"({"foo":" /bar.php ","bar":" foo"})");
  (void)f.run(*e);
  CHECK(field(*e, "foo") == R"("/bar.php")");
  CHECK(field(*e, "bar") == R"("foo")");
}

TEST_CASE("M-SP-1..M-SP-3 split", "[filter][mutate]") {
  auto f = mutate({{"split", HS({{"a", ","}})}});
  CHECK(on_a(f, R"("foo,bar,baz")") == R"(["foo","bar","baz"])");
  CHECK(on_a(f, R"("foo")") == R"(["foo"])");
  CHECK(on_a(f, R"("foo,")") == R"(["foo"])");
  CHECK(on_a(f, "null") == "null");
  CHECK(on_a(f, R"(["foo","bar"])") == R"(["foo","bar"])");
  CHECK(on_a(f, R"({"foo":"bar,baz"})") == R"({"foo":"bar,baz"})");
}

TEST_CASE("M-CP-1..M-CP-3 copy is a deep copy", "[filter][mutate]") {
  auto f = mutate({{"copy", HS({{"field", "target"}})}});
  auto e = ev(R"({"field":"foobar"})");
  (void)f.run(*e);
  CHECK(field(*e, "target") == R"("foobar")");
  e = ev(R"({"field":["foo","bar"]})");
  (void)f.run(*e);
  e->get_mut(ref("field"))->PushBack(sluice::make_string("baz", e->allocator()), e->allocator());
  CHECK(field(*e, "target") == R"(["foo","bar"])");
  e = ev(R"({"field":{"foo":"bar"}})");
  (void)f.run(*e);
  (void)e->set_string(ref("[field][foo]"), "changed");
  CHECK(field(*e, "target") == R"({"foo":"bar"})");
}

TEST_CASE("basics block: repeated options, flat-array hashes, fixed order", "[filter][mutate]") {
  auto f = mutate({
      {"lowercase", SA({"lowerme", "Lowerme", "lowerMe"})},
      {"uppercase", SA({"upperme", "Upperme", "upperMe"})},
      {"capitalize", SA({"capitalizeme", "Capitalizeme", "capitalizeMe"})},
      {"convert", SA({"intme", "integer", "floatme", "float"})},
      {"rename", SA({"rename1", "rename2"})},
      {"replace", SA({"replaceme", "hello world", "newfield", "newnew"})},
      {"update", SA({"nosuchfield", "weee", "updateme", "updated"})},
  });
  auto e = ev(R"({"lowerme":"example","upperme":"EXAMPLE","capitalizeme":"Example","Lowerme":"ExAmPlE",
      "Upperme":"ExAmPlE","Capitalizeme":"ExAmPlE","lowerMe":["ExAmPlE","example"],"upperMe":["ExAmPlE","EXAMPLE"],
      "capitalizeMe":["ExAmPlE","Example"],"intme":["1234","7890.4","7.9"],"floatme":["1234.455"],
      "rename1":["hello world"],"updateme":["who cares"],"replaceme":["who cares"]})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "lowerme") == R"("example")");
  CHECK(field(*e, "upperme") == R"("EXAMPLE")");
  CHECK(field(*e, "capitalizeme") == R"("Example")");
  CHECK(field(*e, "Lowerme") == R"("example")");
  CHECK(field(*e, "Upperme") == R"("EXAMPLE")");
  CHECK(field(*e, "Capitalizeme") == R"("Example")");
  CHECK(field(*e, "lowerMe") == R"(["example","example"])");
  CHECK(field(*e, "upperMe") == R"(["EXAMPLE","EXAMPLE"])");
  CHECK(field(*e, "capitalizeMe") == R"(["Example","Example"])");
  CHECK(field(*e, "intme") == "[1234,7890,7]");
  CHECK(field(*e, "floatme") == "[1234.455]");
  CHECK(field(*e, "rename1") == "<missing>");
  CHECK(field(*e, "rename2") == R"(["hello world"])");
  CHECK(field(*e, "newfield") == R"("newnew")");
  CHECK(field(*e, "nosuchfield") == "<missing>");
  CHECK(field(*e, "updateme") == R"("updated")");
  CHECK(field(*e, "replaceme") == R"("hello world")");
}

TEST_CASE("convert: boolean", "[filter][mutate]") {
  auto f = mutate({{"convert", HS({{"a", "boolean"}})}});
  CHECK(on_a(f, R"("true")") == "true");
  CHECK(on_a(f, R"("false")") == "false");
  CHECK(on_a(f, R"("True")") == "true");
  CHECK(on_a(f, R"("False")") == "false");
  CHECK(on_a(f, R"("1")") == "true");
  CHECK(on_a(f, R"("0")") == "false");
  CHECK(on_a(f, R"("yes")") == "true");
  CHECK(on_a(f, R"("no")") == "false");
  CHECK(on_a(f, R"("Y")") == "true");
  CHECK(on_a(f, R"("N")") == "false");
  std::string tags;
  CHECK(on_a(f, R"("none of the above")", &tags) == R"("none of the above")");
  CHECK(tags == "<missing>");
  CHECK(on_a(f, "0") == "false");
  CHECK(on_a(f, "1") == "true");
  CHECK(on_a(f, "-1") == "-1");
  CHECK(on_a(f, "2") == "2");
  CHECK(on_a(f, "1.0") == "true");
  CHECK(on_a(f, "0.0") == "false");
  CHECK(on_a(f, "-1.0") == "-1.0");
  CHECK(on_a(f, "1.0123") == "1.0123");
  CHECK(on_a(f, "0.01") == "0.01");
  CHECK(on_a(f, R"(["1","0",0,1,2])") == "[true,false,false,true,2]");
  CHECK(on_a(f, R"({"a":0})") == R"({"a":0})");
}

TEST_CASE("MD-12 boolean regex quirks", "[filter][mutate]") {
  auto f = mutate({{"convert", HS({{"a", "boolean"}})}});
  CHECK(on_a(f, R"(["true","T","YES","y","1","1.0","1x0","false","F","no","N","0","0.0","","maybe","tru","foo\ntrue",1,0,1.0,0.0,2,true,false])") ==
        R"([true,true,true,true,true,true,true,false,false,false,false,false,false,false,"maybe","tru",true,true,false,true,false,2,true,false])");
}

TEST_CASE("M-V-1..M-V-5 convert string / integer with nested references", "[filter][mutate]") {
  auto f = mutate({{"convert", SA({"a", "string"})}});
  CHECK(on_a(f, "1234") == R"("1234")");
  f = mutate({{"convert", HS({{"t", "string"}, {"f", "string"}})}});
  auto e = ev(R"({"t":true,"f":false})");
  (void)f.run(*e);
  CHECK(field(*e, "t") == R"("true")");
  CHECK(field(*e, "f") == R"("false")");
  f = mutate({{"convert", SA({"[foo][bar]", "integer"})}});
  e = ev(R"({"foo":{"bar":"1000"}})");
  (void)f.run(*e);
  CHECK(field(*e, "[foo][bar]") == "1000");
  f = mutate({{"convert", SA({"[foo][0]", "integer"})}});
  e = ev(R"({"foo":["100","200"]})");
  (void)f.run(*e);
  CHECK(field(*e, "foo") == R"([100,"200"])");
  f = mutate({{"convert", HS({{"[foo][0]", "integer"}, {"[foo][1]", "integer"}, {"[foo][2]", "integer"},
                              {"[foo][3]", "integer"}, {"[foo][4]", "integer"}})}});
  e = ev(R"({"foo":[false,true,"0","1","2"]})");
  (void)f.run(*e);
  CHECK(field(*e, "foo") == "[0,1,0,1,2]");
}

TEST_CASE("M-V-6..M-V-9 grouped numbers, US and EU", "[filter][mutate]") {
  auto conv = [](const char* type, const char* input) {
    auto f = mutate({{"convert", HS({{"[foo][0]", type}, {"[foo][1]", type}, {"[foo][2]", type}})}});
    auto e = ev(std::string(R"({"foo":)") + input + "}");
    CHECK(f.run(*e) == FilterStatus::Success);
    return field(*e, "foo");
  };
  CHECK(conv("integer", R"(["1,000","1,234,567.8","123.4"])") == "[1000,1234567,123]");
  CHECK(conv("float", R"(["1,000","1,234,567.8","123.4"])") == "[1000.0,1234567.8,123.4]");
  CHECK(conv("integer_eu", R"(["1.000","1.234.567,8","123,4"])") == "[1000,1234567,123]");
  CHECK(conv("float_eu", R"(["1.000","1.234.567,8","123,4"])") == "[1000.0,1234567.8,123.4]");
}

TEST_CASE("M-V-10 M-V-11 float and float_eu", "[filter][mutate]") {
  auto f = mutate({{"convert", HS({{"a", "float"}})}});
  CHECK(on_a(f, R"("3141.5926")") == "3141.5926");
  CHECK(on_a(f, R"("3,141.5926")") == "3141.5926");
  CHECK(on_a(f, R"("3,141")") == "3141.0");
  CHECK(on_a(f, R"("3141")") == "3141.0");
  CHECK(on_a(f, "3.1415926") == "3.1415926");
  CHECK(on_a(f, "3") == "3.0");
  CHECK(on_a(f, "true") == "1.0");
  CHECK(on_a(f, "false") == "0.0");
  CHECK(on_a(f, "null") == "null");
  auto eu = mutate({{"convert", HS({{"a", "float_eu"}})}});
  CHECK(on_a(eu, R"("3141,5926")") == "3141.5926");
  CHECK(on_a(eu, R"("3.141,5926")") == "3141.5926");
  CHECK(on_a(eu, R"("3.141")") == "3141.0");
  CHECK(on_a(eu, R"("3141")") == "3141.0");
  CHECK(on_a(eu, "3.1415926") == "3.1415926");
  CHECK(on_a(eu, "3") == "3.0");
  CHECK(on_a(eu, "true") == "1.0");
  CHECK(on_a(eu, "false") == "0.0");
  CHECK(on_a(eu, "null") == "null");
}

TEST_CASE("convert makes type conversions (Logstash >= 8.14)", "[filter][mutate]") {
  auto s = mutate({{"convert", HS({{"a", "string"}})}});
  auto i = mutate({{"convert", HS({{"a", "integer"}})}});
  auto fl = mutate({{"convert", HS({{"a", "float"}})}});
  struct Row { const char* in; const char* str; const char* integer; const char* flt; };
  const Row rows[] = {
      {"123", R"("123")", "123", "123.0"},
      {"123.0", R"("123.0")", "123", "123.0"},
      {R"("123")", R"("123")", "123", "123.0"},
      {R"("0x7b")", R"("0x7b")", "123", "123.0"},
      {R"("123.0")", R"("123.0")", "123", "123.0"},
      {R"("1.230000e+02")", R"("1.230000e+02")", "123", "123.0"},
      {"123.45", R"("123.45")", "123", "123.45"},
      {R"("123.45")", R"("123.45")", "123", "123.45"},
      {R"("1.234500e+02")", R"("1.234500e+02")", "123", "123.45"},
      {R"("0x1.edcdp6")", R"("0x1.edcdp6")", "123", "123.4501953125"},
      {"-123.45", nullptr, "-123", "-123.45"},
      {R"("-123.45")", nullptr, "-123", "-123.45"},
      {R"("-1.234500e+02")", nullptr, "-123", "-123.45"},
      {R"("-0x1.edcdp6")", nullptr, "-123", "-123.4501953125"},
      {"16777217", R"("16777217")", "16777217", "1.6777217E7"},
      {"1.6777217E7", R"("16777217.0")", "16777217", "1.6777217E7"},
      {R"("16777217")", R"("16777217")", "16777217", "1.6777217E7"},
      {R"("16777217.0")", R"("16777217.0")", "16777217", "1.6777217E7"},
      {"2147483648", R"("2147483648")", "2147483648", "2.147483648E9"},
      {"2.147483648E9", R"("2147483648.0")", "2147483648", "2.147483648E9"},
      {R"("2147483648")", R"("2147483648")", "2147483648", "2.147483648E9"},
      {R"("2147483648.0")", R"("2147483648.0")", "2147483648", "2.147483648E9"},
      {"9007199254740993", R"("9007199254740993")", "9007199254740993", "9.007199254740992E15"},
      {R"("9007199254740993")", R"("9007199254740993")", "9007199254740993", "9.007199254740992E15"},
      {R"("9007199254740993.0")", R"("9007199254740993.0")", "9007199254740993", "9.007199254740992E15"},
      {R"("9.007199254740993e+15")", nullptr, "9007199254740993", "9.007199254740992E15"},
  };
  for (const Row& r : rows) {
    INFO(r.in);
    if (r.str) CHECK(on_a(s, r.in) == r.str);
    CHECK(on_a(i, r.in) == r.integer);
    CHECK(on_a(fl, r.in) == r.flt);
  }
  // Beyond 64 bits: Logstash keeps a bignum; Sluice keeps uint64 where it fits, else a double.
  CHECK(on_a(i, R"("9223372036854775808")") == "9223372036854775808");
  CHECK(on_a(fl, R"("9223372036854775808")") == "9.223372036854776E18");
}

TEST_CASE("MD-1..MD-11 conversion edge cases", "[filter][mutate]") {
  auto i = mutate({{"convert", HS({{"a", "integer"}})}});
  std::string tags;
  for (const char* bad : {R"("abc")", R"("")", R"("12abc")"}) {
    CHECK(on_a(i, bad, &tags) == bad);
    CHECK(tags == R"(["_mutate_error"])");
  }
  auto e = ev(R"({"a":"abc","b":"x"})");
  auto i2 = mutate({{"convert", HS({{"a", "integer"}})}, {"uppercase", SA({"b"})}, {"add_tag", SA({"ok"})}});
  CHECK(i2.run(*e) == FilterStatus::Failure);
  CHECK(field(*e, "b") == R"("x")");
  CHECK(field(*e, "tags") == R"(["_mutate_error"])");

  CHECK(on_a(i, R"(" 12 ")") == "12");
  CHECK(on_a(i, R"("1_000")") == "1000");
  CHECK(on_a(i, R"("1.5")") == "1");
  CHECK(on_a(i, R"("-1.5")") == "-1");
  CHECK(on_a(i, R"("1e3")") == "1000");
  CHECK(on_a(i, R"("0x1A")") == "26");
  CHECK(on_a(i, R"("+5")") == "5");
  CHECK(on_a(i, R"(".5")") == "0");
  CHECK(on_a(i, R"("5.")") == "5");  // JRuby's BigDecimal accepts a trailing dot
  CHECK(on_a(i, R"(["1", null, "2.5", true])") == "[1,null,2,1]");
  CHECK(on_a(i, R"({"x":"1"})") == R"({"x":"1"})");
  CHECK(on_a(i, "-2.7") == "-2");

  auto f = mutate({{"convert", HS({{"a", "float"}})}});
  for (const char* bad : {R"("abc")", R"("")", R"("5.")"}) {
    CHECK(on_a(f, bad, &tags) == bad);
    CHECK(tags == R"(["_mutate_error"])");
  }
  CHECK(on_a(f, R"(".5")") == "0.5");
  CHECK(on_a(f, R"("1_000.5")") == "1000.5");
  CHECK(on_a(f, R"("1,2,3.5")") == "123.5");
  {
    auto e2 = ev(R"({"a":"1e400"})");
    CHECK(f.run(*e2) == FilterStatus::Success);
    REQUIRE(e2->get(ref("a"))->IsDouble());
    CHECK(std::isinf(e2->get(ref("a"))->GetDouble()));
  }

  auto ieu = mutate({{"convert", HS({{"a", "integer_eu"}})}});
  CHECK(on_a(ieu, R"("1,9")") == "1");

  auto s = mutate({{"convert", HS({{"a", "string"}})}});
  CHECK(on_a(s, "1.5") == R"("1.5")");
  CHECK(on_a(s, "1e20") == R"("1.0e+20")");
  CHECK(on_a(s, "1e-5") == R"("1.0e-05")");
  CHECK(on_a(s, "12345678.9") == R"("12345678.9")");
  CHECK(on_a(s, "[1,null,true]") == R"(["1",null,"true"])");
  CHECK(on_a(s, "null") == "null");
}

TEST_CASE("M-G-1..M-G-7 gsub", "[filter][mutate]") {
  auto f = mutate({{"gsub", SA({"a", "but extinct", "and common"})}});
  CHECK(on_a(f, R"("Magnificient, but extinct, animals")") == R"("Magnificient, and common, animals")");
  f = mutate({{"gsub", SA({"a", "extinct", "common"})}});
  CHECK(on_a(f, R"(["Magnificient extinct animals","Other extinct ideas"])") ==
        R"(["Magnificient common animals","Other common ideas"])");
  f = mutate({{"gsub", SA({"colors", "red", "blue", "shapes", "square", "circle"})}});
  auto e = ev(R"({"colors":"One red car","shapes":"Four red squares"})");
  (void)f.run(*e);
  CHECK(field(*e, "colors") == R"("One blue car")");
  CHECK(field(*e, "shapes") == R"("Four red circles")");
  f = mutate({{"gsub", SA({"a", "\\d$", "blue"})}});
  CHECK(on_a(f, R"("red3")") == R"("redblue")");
  f = mutate({{"gsub", SA({"unicorns", "of type %{unicorn_type}", "green"})}});
  e = ev(R"({"unicorns":"Unicorns of type blue are common","unicorn_type":"blue"})");
  (void)f.run(*e);
  CHECK(field(*e, "unicorns") == R"("Unicorns green are common")");
  f = mutate({{"gsub", SA({"unicorns2", "of type %{unicorn_color}", "%{unicorn_color} and green"})}});
  e = ev(R"({"unicorns2":"Unicorns of type blue are common","unicorn_color":"blue"})");
  (void)f.run(*e);
  CHECK(field(*e, "unicorns2") == R"("Unicorns blue and green are common")");
  f = mutate({{"gsub", SA({"unicorns_array", "of type %{color}", "blue and green"})}});
  e = ev(R"({"unicorns_array":["Unicorns of type blue are found in Alaska","Unicorns of type blue are extinct"],"color":"blue"})");
  (void)f.run(*e);
  CHECK(field(*e, "unicorns_array") ==
        R"(["Unicorns blue and green are found in Alaska","Unicorns blue and green are extinct"])");
}

TEST_CASE("MD-21..MD-30 gsub: Ruby regex and replacement dialect", "[filter][mutate]") {
  auto g = [](std::string re, std::string repl, const std::string& input) {
    auto f = mutate({{"gsub", SA({"a", std::move(re), std::move(repl)})}});
    return on_a(f, input);
  };
  CHECK(g("(\\w+)@(\\w+)", "\\2 at \\1", R"("user@host x@y")") == R"("host at user y at x")");
  CHECK(g("(?<u>\\w+)@", "\\k<u>#", R"("user@host")") == R"("user#host")");
  CHECK(g("o", "[\\0]", R"("foo")") == R"("f[o][o]")");
  CHECK(g("o", "[\\&]", R"("foo")") == R"("f[o][o]")");
  CHECK(g("b", "<\\`|\\'>", R"("abc")") == R"("a<a|c>c")");
  CHECK(g("^", ">", R"("a\nb")") == R"(">a\n>b")");
  CHECK(g("$", "<", R"("a\nb")") == R"("a<\nb<")");
  CHECK(g("\\A", ">", R"("a\nb")") == R"(">a\nb")");
  CHECK(g(".", "x", R"("a\nb")") == R"("x\nx")");
  CHECK(g("(?m).", "x", R"("a\nb")") == R"("xxx")");
  CHECK(g("\\w", "x", R"("aé1_")") == R"("xéxx")");
  CHECK(g("\\s", "_", "\"a b\xC2\xA0" "c\"") == "\"a_b\xC2\xA0" "c\"");
  CHECK(g("\\h+", "H", R"("xx0aFz")") == R"("xxHz")");
  CHECK(g("", "-", R"("abc")") == R"("-a-b-c-")");
  CHECK(g("a*", "-", R"("baaac")") == R"("-b--c-")");
  CHECK(g("a\\\\b", "x", R"("a\\b")") == R"("x")");
  CHECK(g("x", "a\\\\b", R"("x")") == R"("a\\b")");

  auto f = mutate({{"gsub", SA({"f", "a", "%{r}"})}});
  auto e = ev(R"({"f":"aaa","r":"\\0\\0"})");
  (void)f.run(*e);
  CHECK(field(*e, "f") == R"("aaaaaa")");
  f = mutate({{"gsub", SA({"f", "%{n}", "X"})}});
  e = ev(R"({"f":"a.b","n":"."})");
  (void)f.run(*e);
  CHECK(field(*e, "f") == R"("XXX")");
  // A bad dynamic regex fails the event.
  e = ev(R"({"f":"a.b","n":"("})");
  CHECK(f.run(*e) == FilterStatus::Failure);
  CHECK(field(*e, "tags") == R"(["_mutate_error"])");

  f = mutate({{"gsub", SA({"a", "x", "y"})}});
  CHECK(on_a(f, "5") == "5");
  CHECK(on_a(f, R"(["ax",5,null])") == R"(["ay",5,null])");
  e = ev("{}");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "a") == "<missing>");
}

TEST_CASE("M-R-1..M-R-3 rename", "[filter][mutate]") {
  auto f = mutate({{"rename", SA({"nosuchfield", "hello"})}});
  auto e = ev(R"({"message":"whatever"})");
  (void)f.run(*e);
  CHECK(field(*e, "nosuchfield") == "<missing>");
  CHECK(field(*e, "hello") == "<missing>");
  f = mutate({{"rename", SA({"field_%{x}", "destination"})}});
  e = ev(R"({"field_one":"value","x":"one"})");
  (void)f.run(*e);
  CHECK(field(*e, "field_one") == "<missing>");
  CHECK(field(*e, "destination") == R"("value")");
  f = mutate({{"rename", SA({"origin", "field_%{x}"})}});
  e = ev(R"({"field_one":"value","x":"one"})");
  (void)f.run(*e);
  CHECK(field(*e, "origin") == "<missing>");
  CHECK(field(*e, "field_one") == R"("value")");
}

TEST_CASE("MD-44..MD-48 rename details", "[filter][mutate]") {
  auto f = mutate({{"rename", HS({{"a", "b"}})}});
  auto e = ev(R"({"a":null})");
  (void)f.run(*e);
  CHECK(field(*e, "b") == "null");
  CHECK(field(*e, "a") == "<missing>");
  e = ev(R"({"a":1,"b":2})");
  (void)f.run(*e);
  CHECK(field(*e, "b") == "1");
  f = mutate({{"rename", HS({{"[a][b]", "[c][d]"}})}});
  e = ev(R"({"a":{"b":1,"e":2}})");
  (void)f.run(*e);
  CHECK(field(*e, "a") == R"({"e":2})");
  CHECK(field(*e, "c") == R"({"d":1})");
  f = mutate({{"rename", HS({{"a", "[a][b]"}})}});
  e = ev(R"({"a":1})");
  (void)f.run(*e);
  CHECK(field(*e, "a") == R"({"b":1})");
  f = mutate({{"rename", HS({{"a", "b"}, {"b", "c"}})}});
  e = ev(R"({"a":1,"b":2})");
  (void)f.run(*e);
  CHECK(field(*e, "a") == "<missing>");
  CHECK(field(*e, "b") == "<missing>");
  CHECK(field(*e, "c") == "1");
  f = mutate({{"rename", HS({{"a", "@timestamp"}})}});
  e = ev(R"({"@timestamp":"2021-01-01T00:00:00.000Z","a":"not a date"})");
  CHECK(f.run(*e) == FilterStatus::Failure);
  CHECK(field(*e, "a") == "<missing>");
  CHECK(field(*e, "@timestamp") == R"("2021-01-01T00:00:00.000Z")");
  CHECK(field(*e, "tags") == R"(["_mutate_error"])");
}

TEST_CASE("merge", "[filter][mutate]") {
  auto f = mutate({{"merge", SA({"list", "foo"})}});
  auto run = [&](std::string_view in) {
    auto e = ev(in);
    CHECK(f.run(*e) == FilterStatus::Success);
    return field(*e, "list") + " " + field(*e, "foo");
  };
  CHECK(run(R"({"foo":"bar"})") == R"(["bar"] "bar")");
  CHECK(run(R"({"foo":"bar","list":[]})") == R"(["bar"] "bar")");
  CHECK(run(R"({"foo":"bar","list":["baz"]})") == R"(["baz","bar"] "bar")");
  CHECK(run(R"({"foo":["bar"],"list":["baz"]})") == R"(["baz","bar"] ["bar"])");
  CHECK(run(R"({"foo":[],"list":["baz"]})") == R"(["baz"] [])");
  CHECK(run(R"({"foo":["bar"],"list":"baz"})") == R"(["baz","bar"] ["bar"])");
  CHECK(run(R"({"foo":"bar","list":"baz"})") == R"(["baz","bar"] "bar")");
}

TEST_CASE("MD-31..MD-35 merge details", "[filter][mutate]") {
  auto f = mutate({{"merge", HS({{"d", "a"}})}});
  auto run = [&](std::string_view in) {
    auto e = ev(in);
    CHECK(f.run(*e) == FilterStatus::Success);
    CHECK(field(*e, "tags") == "<missing>");
    return field(*e, "d");
  };
  CHECK(run("{}") == "[]");
  CHECK(run(R"({"d":{"x":1},"a":{"x":2,"y":3}})") == R"({"x":2,"y":3})");
  CHECK(run(R"({"d":{"x":1},"a":[1]})") == R"({"x":1})");
  CHECK(run(R"({"d":{"x":1}})") == R"({"x":1})");
  CHECK(run(R"({"d":["x"],"a":["x",["y"]]})") == R"(["x","x",["y"]])");
  CHECK(run(R"({"d":1,"a":2})") == "[1,2]");
  // Several added fields: an array destination accumulates; a scalar one is re-wrapped each time
  // (mutate.rb reads the destination once; Array(scalar) is a new array).
  auto multi = mutate({{"merge", H({{"d", SA({"a", "b"})}})}});
  auto e = ev(R"({"d":["x"],"a":"y","b":["z"]})");
  (void)multi.run(*e);
  CHECK(field(*e, "d") == R"(["x","y","z"])");
  e = ev(R"({"d":"x","a":"y","b":["z"]})");
  (void)multi.run(*e);
  CHECK(field(*e, "d") == R"(["x","z"])");
}

TEST_CASE("coerce (M and MD-38, MD-39)", "[filter][mutate]") {
  auto f = mutate({{"coerce", H({{"field1", S("Hello")}, {"field2", S("Bye")}, {"field3", I(5)}, {"field4", B(false)}})}});
  auto e = ev(R"({"field1":null,"field2":null,"field3":null,"field4":true})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "field1") == R"("Hello")");
  CHECK(field(*e, "field2") == R"("Bye")");
  CHECK(field(*e, "field3") == R"("5")");
  CHECK(field(*e, "field4") == "true");
  f = mutate({{"coerce", HS({{"a", "d"}})}});
  CHECK(on_a(f, R"("")") == R"("")");
  e = ev("{}");
  (void)f.run(*e);
  CHECK(field(*e, "a") == "<missing>");
  f = mutate({{"coerce", HS({{"a", "%{b}"}})}});
  e = ev(R"({"a":null,"b":7})");
  (void)f.run(*e);
  CHECK(field(*e, "a") == R"("7")");
}

TEST_CASE("MD-40..MD-43 update and replace", "[filter][mutate]") {
  auto f = mutate({{"update", HS({{"a", "v%{b}"}})}});
  auto e = ev(R"({"a":null,"b":[1,2]})");
  (void)f.run(*e);
  CHECK(field(*e, "a") == R"("v1,2")");
  f = mutate({{"update", HS({{"a", "v"}})}});
  e = ev("{}");
  (void)f.run(*e);
  CHECK(field(*e, "a") == "<missing>");
  f = mutate({{"replace", HS({{"a", "%{missing}"}})}});
  e = ev("{}");
  (void)f.run(*e);
  CHECK(field(*e, "a") == R"("%{missing}")");
  f = mutate({{"replace", HS({{"[a][b]", "x"}})}});
  e = ev(R"({"a":"str"})");
  CHECK(f.run(*e) == FilterStatus::Failure);
  CHECK(field(*e, "a") == R"("str")");
  CHECK(field(*e, "tags") == R"(["_mutate_error"])");
}

TEST_CASE("MD-13..MD-17 split, join, strip", "[filter][mutate]") {
  auto sp = mutate({{"split", HS({{"a", ","}})}});
  CHECK(on_a(sp, R"("a,b,,c,,")") == R"(["a","b","","c"])");
  CHECK(on_a(sp, R"(",a")") == R"(["","a"])");
  CHECK(on_a(sp, R"("")") == "[]");
  CHECK(on_a(sp, R"(",,,")") == "[]");
  auto ws = mutate({{"split", HS({{"a", " "}})}});
  CHECK(on_a(ws, R"("  a  b\tc\n ")") == R"(["a","b","c"])");
  auto chars = mutate({{"split", HS({{"a", ""}})}});
  CHECK(on_a(chars, R"("abc")") == R"(["a","b","c"])");
  auto multi = mutate({{"split", HS({{"a", "::"}})}});
  CHECK(on_a(multi, R"("a::b::c")") == R"(["a","b","c"])");
  auto dot = mutate({{"split", HS({{"a", "."}})}});
  CHECK(on_a(dot, R"("a.b")") == R"(["a","b"])");

  auto j = mutate({{"join", HS({{"a", ","}})}});
  CHECK(on_a(j, R"(["a",1,1.5,null,true,["x",["y"]]])") == R"("a,1,1.5,,true,x,y")");
  CHECK(on_a(j, R"("str")") == R"("str")");
  CHECK(on_a(j, "[]") == R"("")");
  CHECK(on_a(j, R"([{"a":1}])") == R"("{\"a\" => 1}")");
  // Strings inside keep Ruby's String#inspect: `\u0001` for controls, `\#{` escaped.
  CHECK(on_a(j, R"([{"a":"\u0001#{x}\u007f"}])") == R"("{\"a\" => \"\\u0001\\#{x}\\u007F\"}")");

  auto st = mutate({{"strip", SA({"a"})}});
  CHECK(on_a(st, R"(" \t\n a b \r\n\u0000")") == R"("a b")");
  CHECK(on_a(st, "\"\xC2\xA0" "a\xE3\x80\x80\"") == "\"\xC2\xA0" "a\xE3\x80\x80\"");
}

TEST_CASE("MD-18 strip on a list with a non-string aborts", "[filter][mutate]") {
  // mutate.rb runs uppercase before strip, so `g` is already upper-cased when strip fails.
  auto f = mutate({{"strip", SA({"f"})}, {"uppercase", SA({"g"})}});
  auto e = ev(R"({"f":[" a ",1],"g":"x"})");
  CHECK(f.run(*e) == FilterStatus::Failure);
  CHECK(field(*e, "f") == R"([" a ",1])");
  CHECK(field(*e, "g") == R"("X")");
  CHECK(field(*e, "tags") == R"(["_mutate_error"])");
}

TEST_CASE("MD-19 MD-20 full Unicode case mapping; non-strings untouched", "[filter][mutate]") {
  auto up = mutate({{"uppercase", SA({"a"})}});
  auto low = mutate({{"lowercase", SA({"a"})}});
  auto cap = mutate({{"capitalize", SA({"a"})}});
  CHECK(on_a(up, "\"stra\xC3\x9F" "e \xC7\x86 \xEF\xAC\x81\"") == "\"STRASSE \xC7\x84 FI\"");
  CHECK(on_a(low, "\"\xC4\xB0STANBUL \xCE\xA3\xCE\x91\xCE\xA3\"") == "\"i\xCC\x87stanbul \xCF\x83\xCE\xB1\xCF\x83\"");
  CHECK(on_a(cap, R"("hELLO wORLD")") == R"("Hello world")");
  CHECK(on_a(cap, "\"\xC7\x86" "emal\"") == "\"\xC7\x85" "emal\"");
  CHECK(on_a(up, R"({"a":"b"})") == R"({"a":"b"})");
  CHECK(on_a(up, "5") == "5");
}

TEST_CASE("MD-36 MD-37 MD-49 MD-50 copy and the fixed order", "[filter][mutate]") {
  auto f = mutate({{"copy", HS({{"a", "b"}})}});
  auto e = ev(R"({"a":null})");
  (void)f.run(*e);
  CHECK(field(*e, "b") == "<missing>");
  e = ev(R"({"b":1})");
  (void)f.run(*e);
  CHECK(field(*e, "b") == "1");
  f = mutate({{"copy", HS({{"a", "[x][y]"}})}});
  e = ev(R"({"a":{"k":[1]}})");
  (void)f.run(*e);
  CHECK(field(*e, "x") == R"({"y":{"k":[1]}})");
  f = mutate({{"uppercase", SA({"a"})}, {"lowercase", SA({"a"})}, {"capitalize", SA({"a"})}});
  CHECK(on_a(f, R"("hELLo")") == R"("hello")");
  f = mutate({{"copy", HS({{"a", "b"}})}, {"uppercase", SA({"b"})}});
  e = ev(R"({"a":"x"})");
  (void)f.run(*e);
  CHECK(field(*e, "b") == R"("x")");
  f = mutate({{"replace", HS({{"a", "%{b}"}})}, {"convert", HS({{"a", "integer"}})}});
  e = ev(R"({"b":5})");
  (void)f.run(*e);
  CHECK(field(*e, "a") == "5");
  f = mutate({{"split", HS({{"a", ","}})}, {"join", HS({{"a", "|"}})}});
  CHECK(on_a(f, R"("x,y")") == R"("x|y")");
  f = mutate({{"rename", HS({{"a", "b"}})}, {"copy", HS({{"b", "c"}})}, {"remove_field", SA({"b"})}});
  e = ev(R"({"a":1})");
  (void)f.run(*e);
  CHECK(field(*e, "a") == "<missing>");
  CHECK(field(*e, "b") == "<missing>");
  CHECK(field(*e, "c") == "1");
}

TEST_CASE("a mutate failure skips the common decorations", "[filter][mutate]") {
  auto f = mutate({{"convert", HS({{"a", "integer"}})}, {"add_tag", SA({"ok"})}});
  auto e = ev(R"({"a":"bad"})");
  CHECK(f.run(*e) == FilterStatus::Failure);
  CHECK(field(*e, "tags") == R"(["_mutate_error"])");
  e = ev(R"({"a":"7"})");
  CHECK(f.run(*e) == FilterStatus::Success);
  CHECK(field(*e, "a") == "7");
  CHECK(field(*e, "tags") == R"(["ok"])");
}
