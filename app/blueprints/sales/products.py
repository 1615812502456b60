"""Product catalogue pages: the product list (active search, active filter, keyset pages),
the product form and page (with its price in every book), and price books with their
prices, added, changed and removed in place with HTMX. Everyone reads; managers write."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.blueprints.customers.lists import sort_url
from app.blueprints.record_forms import save_valid_form
from app.blueprints.sales import bp
from app.blueprints.sales.product_forms import PriceBookForm, PriceForm, ProductForm
from app.extensions import db
from app.htmx import render_page_or_fragment, wants_fragment
from app.models.sales import PriceBook, Product
from app.services import price_books, products
from app.services.validation import RecordInvalid


def _record_or_404(model, record_id: int, entity: str, action: str = "read"):
    record = db.session.get(model, record_id)
    if record is None:
        abort(404)
    permissions.require(current_user, action, entity, record)
    return record


@bp.get("/products")
def products_index():
    permissions.require(current_user, "read", "product")
    filters = products.ProductFilters.from_args(request.args)
    rows, next_cursor = products.product_page(current_user, filters, request.args.get("cursor"))
    args = filters.as_args()
    pager = {
        "first_url": url_for("sales.products_index", **args) if "cursor" in request.args else None,
        "next_url": url_for("sales.products_index", **args, cursor=next_cursor)
        if next_cursor
        else None,
    }
    return render_page_or_fragment(
        "sales/products_index.html",
        "sales/_products_rows.html",
        filters=filters,
        rows=rows,
        pager=pager,
        sort_url=lambda column: sort_url("sales.products_index", filters, column),
    )


@bp.route("/products/new", methods=["GET", "POST"])
def product_new():
    permissions.require(current_user, "create", "product")
    form = ProductForm()
    product = save_valid_form(form, lambda: products.create_product(current_user, **form.values()))
    if product is not None:
        flash(_("The product %(name)s is created.", name=product.name), "success")
        return redirect(url_for("sales.product_show", product_id=product.id))
    return render_template("sales/products_form.html", form=form, product=None)


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
def product_edit(product_id: int):
    product = _record_or_404(Product, product_id, "product", "edit")
    form = ProductForm(obj=product)
    saved = save_valid_form(
        form, lambda: products.update_product(product, current_user, **form.values())
    )
    if saved is not None:
        flash(_("The changes to %(name)s are saved.", name=product.name), "success")
        return redirect(url_for("sales.product_show", product_id=product.id))
    return render_template("sales/products_form.html", form=form, product=product)


@bp.route("/products/<int:product_id>/delete", methods=["GET", "POST"])
def product_delete(product_id: int):
    product = _record_or_404(Product, product_id, "product", "delete")
    if request.method == "POST":
        name = product.name
        try:
            products.delete_product(product, current_user)
        except RecordInvalid as refused:
            db.session.rollback()
            flash(" ".join(refused.errors.values()), "error")
            return redirect(url_for("sales.product_show", product_id=product_id))
        db.session.commit()
        flash(_("The product %(name)s is deleted.", name=name), "success")
        return redirect(url_for("sales.products_index"))
    return render_template("sales/products_delete.html", product=product)


@bp.get("/products/<int:product_id>")
def product_show(product_id: int):
    product = _record_or_404(Product, product_id, "product")
    return render_template(
        "sales/products_show.html",
        product=product,
        prices=price_books.product_prices(current_user, product),
        may_edit=permissions.can(current_user, "edit", "product", product),
        may_delete=permissions.can(current_user, "delete", "product", product),
    )


@bp.get("/price-books")
def price_books_index():
    permissions.require(current_user, "read", "price_book")
    return render_template(
        "sales/price_books_index.html", books=price_books.price_books(current_user)
    )


@bp.route("/price-books/new", methods=["GET", "POST"])
def price_book_new():
    permissions.require(current_user, "create", "price_book")
    form = PriceBookForm()
    if request.method == "GET":
        form.currency.data = price_books.default_currency()
    book = save_valid_form(
        form, lambda: price_books.create_price_book(current_user, **form.values())
    )
    if book is not None:
        flash(_("The price book %(name)s is created.", name=book.name), "success")
        return redirect(url_for("sales.price_book_show", book_id=book.id))
    return render_template("sales/price_books_form.html", form=form, book=None)


@bp.route("/price-books/<int:book_id>/edit", methods=["GET", "POST"])
def price_book_edit(book_id: int):
    book = _record_or_404(PriceBook, book_id, "price_book", "edit")
    form = PriceBookForm(obj=book)
    saved = save_valid_form(
        form, lambda: price_books.update_price_book(book, current_user, **form.values())
    )
    if saved is not None:
        flash(_("The changes to %(name)s are saved.", name=book.name), "success")
        return redirect(url_for("sales.price_book_show", book_id=book.id))
    return render_template("sales/price_books_form.html", form=form, book=book)


@bp.route("/price-books/<int:book_id>/delete", methods=["GET", "POST"])
def price_book_delete(book_id: int):
    book = _record_or_404(PriceBook, book_id, "price_book", "delete")
    if request.method == "POST":
        name = book.name
        price_books.delete_price_book(book, current_user)
        db.session.commit()
        flash(_("The price book %(name)s is deleted.", name=name), "success")
        return redirect(url_for("sales.price_books_index"))
    return render_template("sales/price_books_delete.html", book=book)


def _entries_context(book: PriceBook, form: PriceForm | None = None) -> dict:
    """What the price list of a book shows, with the form that adds a price."""
    may_edit = permissions.can(current_user, "edit", "price_book", book)
    if may_edit and form is None:
        form = PriceForm(formdata=None)
    if form is not None:
        form.set_product_choices(price_books.unpriced_products(book))
    return {
        "book": book,
        "entries": price_books.book_entries(book),
        "form": form,
        "may_edit": may_edit,
    }


@bp.get("/price-books/<int:book_id>")
def price_book_show(book_id: int):
    book = _record_or_404(PriceBook, book_id, "price_book")
    return render_template(
        "sales/price_books_show.html",
        may_delete=permissions.can(current_user, "delete", "price_book", book),
        **_entries_context(book),
    )


def _entries_response(book: PriceBook, form: PriceForm | None = None):
    """The book's price list fragment for HTMX; a plain post goes back to the book."""
    if not wants_fragment():
        return redirect(url_for("sales.price_book_show", book_id=book.id))
    return render_template("sales/_price_books_entries.html", **_entries_context(book, form))


@bp.post("/price-books/<int:book_id>/prices")
def price_add(book_id: int):
    """Add (or change) a product's price from the form under the book's price list."""
    book = _record_or_404(PriceBook, book_id, "price_book", "edit")
    form = PriceForm()
    product = db.session.get(Product, form.product_id.data) if form.product_id.data else None
    if product is None and form.validate_on_submit():
        form.product_id.errors.append(_("Choose a product."))
    elif product is not None:
        saved = save_valid_form(
            form,
            lambda: price_books.set_price(book, product, form.unit_price.data, current_user),
        )
        if saved is not None:
            form = None
    if form is not None and not wants_fragment():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
    return _entries_response(book, form)


def _entry_or_404(book_id: int, product_id: int, action: str):
    book = _record_or_404(PriceBook, book_id, "price_book", action)
    product = db.session.get(Product, product_id)
    entry = price_books.entry_for(book, product) if product is not None else None
    if entry is None:
        abort(404)
    return book, entry


@bp.get("/price-books/<int:book_id>/prices/<int:product_id>")
def price_row(book_id: int, product_id: int):
    book, entry = _entry_or_404(book_id, product_id, "read")
    may_edit = permissions.can(current_user, "edit", "price_book", book)
    return render_template(
        "sales/_price_books_entry.html", book=book, entry=entry, may_edit=may_edit
    )


@bp.route("/price-books/<int:book_id>/prices/<int:product_id>/edit", methods=["GET", "POST"])
def price_edit(book_id: int, product_id: int):
    """The click-to-edit row: GET shows the price as an input, POST saves it."""
    book, entry = _entry_or_404(book_id, product_id, "edit")
    form = PriceForm(data={"unit_price": entry.unit_price})
    saved = save_valid_form(
        form,
        lambda: price_books.set_price(book, entry.product, form.unit_price.data, current_user),
    )
    if saved is not None:
        if not wants_fragment():
            return redirect(url_for("sales.price_book_show", book_id=book.id))
        return render_template(
            "sales/_price_books_entry.html", book=book, entry=saved, may_edit=True
        )
    return render_template("sales/_price_books_entry_form.html", book=book, entry=entry, form=form)


@bp.post("/price-books/<int:book_id>/prices/<int:product_id>/delete")
def price_remove(book_id: int, product_id: int):
    book, entry = _entry_or_404(book_id, product_id, "edit")
    price_books.remove_price(book, entry.product, current_user)
    db.session.commit()
    return _entries_response(book)
