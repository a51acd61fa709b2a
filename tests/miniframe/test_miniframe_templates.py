import sys

import pytest

from miniframe.templates import JinjaTemplates, Markup, Template, TemplateFolder, escape


def test_placeholders_are_filled_and_escaped():
    page = Template("<h1>{%title%}</h1><p>{% body %}</p>")
    html = page.render(title="Q&A", body='<script>alert("x")</script>')
    assert html == ("<h1>Q&amp;A</h1><p>&lt;script&gt;alert(&quot;x&quot;)"
                    "&lt;/script&gt;</p>")


def test_markup_is_inserted_as_it_is():
    assert Template("<div>{%content%}</div>").render(content=Markup("<b>ok</b>")) == (
        "<div><b>ok</b></div>")


def test_rendered_templates_nest_without_double_escaping():
    inner = Template("<li>{%item%}</li>").render(item="a & b")
    outer = Template("<ul>{%items%}</ul>").render(items=inner)
    assert isinstance(inner, Markup)
    assert outer == "<ul><li>a &amp; b</li></ul>"


def test_values_may_come_as_a_mapping_and_keywords():
    assert Template("{%a%}-{%b%}").render({"a": 1, "b": 2}, b=3) == "1-3"


def test_missing_values_are_named_in_the_error():
    with pytest.raises(KeyError, match="body, title"):
        Template("{%title%}{%body%}").render()


def test_render_each_joins_rows():
    row = Template("<tr><td>{%code%}</td></tr>")
    assert row.render_each([{"code": "600519"}, {"code": "<x>"}]) == (
        "<tr><td>600519</td></tr><tr><td>&lt;x&gt;</td></tr>")


def test_escape_handles_non_text_and_html_objects():
    class Widget:
        def __html__(self):
            return "<i>w</i>"

    assert escape(3.5) == "3.5"
    assert escape(Widget()) == "<i>w</i>"
    assert escape("'") == "&#x27;"


def test_template_folder_reads_once_and_caches(tmp_path):
    (tmp_path / "page.html").write_text("<p>{%text%}</p>", encoding="utf-8")
    folder = TemplateFolder(tmp_path)
    assert folder.render("page.html", text="<hi>") == "<p>&lt;hi&gt;</p>"
    (tmp_path / "page.html").write_text("changed", encoding="utf-8")
    assert folder.render("page.html", text="x") == "<p>x</p>"


def test_template_folder_refuses_paths_outside_it(tmp_path):
    (tmp_path / "secret.txt").write_text("s", encoding="utf-8")
    folder = TemplateFolder(tmp_path / "templates")
    with pytest.raises(ValueError, match="outside"):
        folder.get("../secret.txt")


def test_jinja_templates_autoescape_and_respect_markup(tmp_path):
    (tmp_path / "page.html").write_text("<p>{{ text }}</p>{{ html }}", encoding="utf-8")
    templates = JinjaTemplates(tmp_path)
    html = templates.render("page.html", text="<b>", html=Markup("<hr>"))
    assert html == "<p>&lt;b&gt;</p><hr>"
    assert isinstance(html, Markup)


def test_jinja_adapter_explains_a_missing_jinja2(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "jinja2", None)
    with pytest.raises(ImportError, match=r"pip install .wsgiserver\[jinja\]."):
        JinjaTemplates(tmp_path)
