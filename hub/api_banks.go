package hub

import (
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/classhub/classhub/protocol"
	"github.com/classhub/classhub/rooms"
)

// maxBankBytes bounds an uploaded content bank.
const maxBankBytes = 5 << 20

// listBanks lists the content banks every class can use.
func (h *Hub) listBanks(c echo.Context) error {
	list, err := h.cfg.Rooms.Banks(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string][]rooms.BankInfo{"banks": list})
}

// putBank takes a content bank as YAML in the body. A bank with errors is
// refused whole, every error listed, and the bank in use stays as it was.
func (h *Hub) putBank(c echo.Context) error {
	body := http.MaxBytesReader(c.Response(), c.Request().Body, maxBankBytes)
	data, err := io.ReadAll(body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return protocol.Errorf(protocol.CodeFrameTooLarge, "a content bank is at most %d bytes", maxBankBytes)
		}
		return protocol.Errorf(protocol.CodeInvalid, "the bank could not be read: %v", err)
	}
	name := c.QueryParam("name")
	if name == "" {
		name = "bank.yaml"
	}
	info, err := h.cfg.Rooms.PutBank(c.Request().Context(), name, data)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, info)
}
